import { monotonicFactory } from 'ulid';
import { readDirectoryFiles } from '../adapters/directory-files';
import { snapshotHash } from '../app/policy-decisions';
import type { PolicyEvaluator, PolicySnapshot } from '../app/ports';
import { newTicket } from '../app/submit-request';
import { deadlinesFrom, defaultDeadlines, type WaitDeadlines } from '../domain/deadlines';
import {
  accountablePersonId,
  type DirectoryView,
  type Identity,
  isActive,
  type System,
} from '../domain/directory';
import { mayFileFor } from '../domain/filing';
import type { Urgency } from '../domain/intake';
import { type PolicyInputs, peopleToRead, policyInputs } from '../domain/policy/inputs';
import { type AskPolicies, decideOutcome, isStageName } from '../domain/policy/outcome';
import { decideDuration } from '../domain/requested-duration';
import {
  endGrant,
  expiryExecutionName,
  openRevocation,
  recordRevocationConfirmed,
  revocationToBegin,
} from '../domain/revocation';
import { resolveStage, revokersOf, routeAccessRequest } from '../domain/routing';
import { applyChange, fulfilmentRecordFor, type Ticket } from '../domain/ticket';
import {
  applyApprovals,
  closeAsPolicyRefused,
  completeFulfilment,
  eligibleFulfillers,
  openFulfilment,
  openStage,
  openStageIndex,
  recordDecision,
  recordFulfilment,
  stageToOpen,
  timeOut,
} from '../domain/workflow';

/**
 * Tickets as the local system would have taken them over a past period, scripted with the project's
 * own domain code (intake's decision by policy and routing, the workflow's stages and fulfilment),
 * without going through the API one by one: the bench's recorded histories and the demo history of
 * `npm start` (local/demo-history.ts) both come from here.
 */

/** The policies that decide the scripted tickets: the baseline of `policies/`. */
type Baseline = Pick<PolicyEvaluator, 'version' | 'answers'>;

/**
 * A request as a scenario writes it, and how the people of each stage answer it: by name if they are
 * among those asked, after so long, as they decide. Stages it does not name, the fulfilment and the
 * removal of the access at its end are answered at random unless it names who does them, and when.
 */
export interface ScriptedRequest {
  requester: string;
  beneficiary: string;
  entitlement: string;
  /** Time-bound access for this long (ISO 8601); standing access when absent. */
  duration?: string;
  approvers?: Partial<Record<string, { by?: string; afterMs: number; decision: 'approve' | 'deny' }>>;
  /** Who reports the access set up, after how long; the report is `done`. */
  fulfilment?: { by: string; afterMs: number };
  /** Who confirms the access removed once the grant's time is up, after how long. */
  revocation?: { by: string; afterMs: number };
}

/** Who may file for whom, as intake allows it; people file for themselves most often. */
interface Filing {
  requester: Identity;
  beneficiary: Identity;
}

/** How a request is asked, which the policies read: a requester asking again mostly asks the same way. */
interface Asking {
  urgency: Urgency;
  justification: string;
  evidenceCount: number;
  firstDuration: string | null;
}

/** An entitlement the beneficiary holds or is about to, from when it was approved until its ticket closed. */
interface Holding {
  entitlement: string;
  /** The grant the ticket made, once fulfilled with time-bound access. */
  grant: string | null;
  from: number;
  until: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The shortest time from one step of a ticket's workflow to the next it takes by itself. */
const STEP_MS = 1000;

/** ADMIN_DEFAULT_MAX_DURATION as the local system reads it: it inherits the bench's environment (functions/config.ts). */
const ADMIN_DEFAULT_MAX = process.env.ADMIN_DEFAULT_MAX_DURATION ?? 'P7D';

const URGENCIES: [Urgency, number][] = [
  ['low', 1],
  ['normal', 16],
  ['high', 3],
  ['critical', 1],
];
/** Longest first: a duration the catalog or a policy refuses is asked again shorter, as a requester would. */
const DURATIONS: [string | null, number][] = [
  [null, 8],
  ['P90D', 1],
  ['P30D', 2],
  ['P7D', 3],
  ['P1D', 2],
  ['PT8H', 1],
  ['PT4H', 1],
];
/** Justifications of various lengths, the short ones most often: policies read the length, so it makes other inputs. */
const JUSTIFICATIONS: [string, number][] = [
  ['Needed for the quarterly close', 6],
  ['Reviewing pull requests for the payments team', 5],
  ['On call this week: looking into incidents as they come in', 4],
  ['Migrating the reporting jobs to the new cluster, see OPS-1432', 3],
  ['New in the team: the access everyone in my role has, as listed in the onboarding checklist', 2],
  ["Auditing last quarter's pay runs with the external auditors, as agreed with the head of Finance", 1],
  [
    'Covering for a colleague on leave for two weeks: the same access they have, for the tasks handed over to me, nothing more',
    1,
  ],
  [
    'Incident follow-up: the post-mortem asks us to check the configuration of every production account by hand before the next release, and to record what we find',
    1,
  ],
];
const EVIDENCE_COUNTS: [number, number][] = [
  [0, 8],
  [1, 3],
  [2, 1],
];
/**
 * How often a requester asks again as they asked the first time (the same wording, urgency, evidence and
 * duration): renewals and repeated requests are copied more often than rewritten.
 */
const HABIT = { keeps: 0.7 };
/** How people answer: most within hours, some never (the stage or the fulfilment times out). */
const APPROVER = { fastestMs: 2 * MINUTE, slowestMs: 30 * HOUR, neverAnswers: 0.06, approves: 0.85 };
const FULFILLER = { fastestMs: 5 * MINUTE, slowestMs: 20 * HOUR, neverAnswers: 0.03, fails: 0.03 };

/** The same history at every run (but for the dates, which follow today): a fixed seed. */
const SEED = 11;

/**
 * Scripts tickets in the order they were filed, so that what a beneficiary holds when a ticket is filed comes
 * from the tickets before it, as intake reads it from grants and approved tickets.
 */
export class HistoryScript {
  private readonly random = seededRandom(SEED);
  private readonly nextId = monotonicFactory(this.random);
  /** Numbered in filing order, as intake's counter would; the bench files nothing through intake beside them. */
  private numbered = 0;
  private readonly holdings = new Map<string, Holding[]>();
  /** How each requester asks for each entitlement for each beneficiary, the first time and mostly after. */
  private readonly habits = new Map<string, Asking>();
  /** The request being scripted now, if it is not drawn at random. */
  private scripted: ScriptedRequest | undefined;
  /** Cedar's answers by snapshot hash: the same inputs get the same answers, and asking Cedar is most of the work. */
  private readonly answers = new Map<string, AskPolicies>();

  private constructor(
    private readonly baseline: Baseline,
    private readonly now: number,
    private readonly directory: DirectoryView,
    private readonly people: ReadonlyMap<string, Identity>,
    private readonly catalog: readonly System[],
    private readonly filings: readonly Filing[],
  ) {}

  static async create(baseline: Baseline, now: number): Promise<HistoryScript> {
    const seed = readDirectoryFiles();
    const people = new Map(seed.identities.map((identity) => [identity.id, identity]));
    const directory: DirectoryView = {
      identity: async (id) => people.get(id),
      identitiesWithRole: async (role) => seed.identities.filter((identity) => identity.roles.includes(role)),
    };
    const filings: Filing[] = [];
    for (const requester of seed.identities.filter(
      (identity) => identity.kind === 'human' && isActive(identity),
    )) {
      for (const beneficiary of seed.identities.filter(isActive)) {
        if (await mayFileFor(requester, beneficiary, directory)) filings.push({ requester, beneficiary });
      }
    }
    return new HistoryScript(baseline, now, directory, people, seed.systems, filings);
  }

  /** When each of `count` tickets was filed, oldest first, spread evenly over the last `days`. */
  submissionTimes(count: number, days: number): number[] {
    const span = days * 24 * HOUR;
    return Array.from({ length: count }, () =>
      Math.floor(this.now - span + this.random() * (span - MINUTE)),
    ).sort((a, b) => a - b);
  }

  /** A ticket filed at `createdAt`, decided by policy at intake, then as far through its workflow as time allows. */
  async ticketAt(createdAt: number): Promise<{ ticket: Ticket; snapshot: PolicySnapshot }> {
    this.scripted = undefined;
    for (;;) {
      const filed = await this.file(createdAt);
      if (filed) return { ticket: await this.playWorkflow(filed.ticket), snapshot: filed.snapshot };
    }
  }

  /** The same for a request as a scenario writes it; null when no duration is allowed for it. */
  async scriptedAt(
    createdAt: number,
    scripted: ScriptedRequest,
  ): Promise<{ ticket: Ticket; snapshot: PolicySnapshot } | null> {
    this.scripted = scripted;
    const filed = await this.file(createdAt);
    return filed ? { ticket: await this.playWorkflow(filed.ticket), snapshot: filed.snapshot } : null;
  }

  /**
   * What intake writes (app/submit-request.ts): the request checked against the catalog's cap, decided by the
   * baseline policies, checked against their cap, and routed. Null when no duration tried is allowed.
   */
  private async file(createdAt: number): Promise<{ ticket: Ticket; snapshot: PolicySnapshot } | null> {
    const { requester, beneficiary } = this.scripted
      ? {
          requester: this.person(this.scripted.requester),
          beneficiary: this.person(this.scripted.beneficiary),
        }
      : this.pick(this.filings.map((filing) => [filing, weightOf(filing)]));
    const { system, entitlement } = this.pick(
      this.catalog.flatMap((system) =>
        system.entitlements
          .filter((entitlement) => !this.scripted || this.scripted.entitlement === entitlement.id)
          .map((entitlement) => [{ system, entitlement }, 1]),
      ),
    );
    const key = `${requester.id}>${beneficiary.id}:${entitlement.id}`;
    let asking = this.habits.get(key);
    if (!asking) {
      asking = this.freshAsking();
      this.habits.set(key, asking);
    } else if (this.random() >= HABIT.keeps) asking = this.freshAsking();
    const { urgency, justification } = asking;
    const firstDuration = this.scripted ? (this.scripted.duration ?? null) : asking.firstDuration;
    const evidence = Array.from(
      { length: asking.evidenceCount },
      (_, n) => `https://tickets.example.com/OPS-${1000 + Math.floor(this.random() * 9000) + n}`,
    );
    const now = new Date(createdAt);
    const first = DURATIONS.findIndex(([duration]) => duration === firstDuration);
    for (const [duration] of DURATIONS.slice(first)) {
      const asked = {
        requested: duration,
        systemId: system.id,
        entitlement,
        adminDefaultMax: ADMIN_DEFAULT_MAX,
        now,
      };
      if ('problem' in decideDuration(asked)) continue;
      const inputs = policyInputs({
        requester,
        beneficiary,
        people: this.peopleAbout(beneficiary, system),
        system,
        entitlement,
        catalog: this.catalog,
        urgency,
        duration,
        justification,
        evidenceCount: evidence.length,
        holds: this.holdsAt(beneficiary.id, createdAt),
        now,
      });
      const hash = snapshotHash(inputs);
      const outcome = decideOutcome(this.baseline.version, this.answersTo(hash, inputs), now);
      const capped = decideDuration({ ...asked, policyCap: outcome.cap });
      if ('problem' in capped) continue;
      const snapshot = { hash, inputs, version: this.baseline.version, at: now.toISOString() };
      const request = { requester, beneficiary, system, entitlement };
      const { decision, approvals } = await routeAccessRequest(this.directory, request, {
        ...outcome,
        inputs: hash,
      });
      const drafted = newTicket({ id: this.nextId(createdAt), number: ++this.numbered }, requester, now, {
        type: 'access',
        beneficiary: beneficiary.id,
        beneficiaryOwner: beneficiary.kind === 'service' ? beneficiary.ownerId : null,
        department: this.people.get(accountablePersonId(beneficiary))?.department ?? beneficiary.department,
        system: system.id,
        entitlement: entitlement.id,
        justification,
        urgency,
        duration: capped.basis.applied,
        durationBasis: capped.basis,
        evidence,
        fulfilment: fulfilmentRecordFor(system, null),
      });
      const ticket = applyChange(
        drafted,
        {
          type: 'routed',
          at: now.toISOString(),
          actor: 'tollgate',
          data: { decision, path: approvals[0]?.path ?? [] },
        },
        { decision, approvals },
      );
      return { ticket, snapshot };
    }
    return null;
  }

  /** A request's wording, urgency, evidence and the duration asked first, drawn afresh. */
  private freshAsking(): Asking {
    return {
      urgency: this.pick(URGENCIES),
      justification: this.pick(JUSTIFICATIONS),
      evidenceCount: this.pick(EVIDENCE_COUNTS),
      firstDuration: this.pick(DURATIONS),
    };
  }

  /**
   * The ticket as the access-request workflow (app/workflow-steps.ts) leaves it by now: each wait ends with the
   * person's answer if it came before the deadline, with a timeout if the deadline has passed, and otherwise is
   * still open. The workflow's own steps follow a second after what they act on.
   */
  private async playWorkflow(filed: Ticket): Promise<Ticket> {
    let ticket = filed;
    const startedAt = Date.parse(ticket.createdAt) + STEP_MS;
    const at = new Date(startedAt).toISOString();
    switch (ticket.decision?.outcome) {
      case 'auto_rejected':
        ticket = closeAsPolicyRefused(ticket, at);
        break;
      case 'auto_approved':
        ticket = this.openFulfilment(
          applyChange(ticket, { type: 'auto_approved', at, actor: 'tollgate', to: 'fulfilling' }),
          startedAt,
        );
        break;
      default:
        ticket = openStage(ticket, 0, this.deadlines('approval', ticket, startedAt), at);
    }
    while (ticket.status === 'pending_approval') {
      const next = await this.awaitDecision(ticket);
      if (next === ticket) break;
      ticket = next;
    }
    if (ticket.status === 'fulfilling') ticket = this.awaitFulfilment(ticket);
    if (ticket.status === 'active') ticket = await this.awaitGrantEnd(ticket);
    this.recordHolding(ticket);
    return ticket;
  }

  /** The open stage's answer and what the workflow does with it; the ticket unchanged while it still waits. */
  private async awaitDecision(ticket: Ticket): Promise<Ticket> {
    const index = openStageIndex(ticket) as number;
    const stage = ticket.approvals[index];
    if (!stage?.deadline) throw new Error(`Ticket ${ticket.id} waits for stage ${index}, which never opened`);
    const answer = this.scripted?.approvers?.[stage.stage];
    const answeredAt = answer
      ? Date.parse(ticket.updatedAt) + answer.afterMs
      : this.answerTime(Date.parse(ticket.updatedAt), APPROVER);
    const ended = this.waitEnded(ticket, answeredAt, stage.deadline);
    if (ended) return ended;
    const decided = recordDecision(ticket, index, {
      by: this.pick(stage.candidates.map((candidate) => [candidate, candidate === answer?.by ? 1000 : 1])),
      decision: answer ? answer.decision : this.random() < APPROVER.approves ? 'approve' : 'deny',
      comment: null,
      via: this.random() < 0.7 ? 'link' : 'inbox',
      at: new Date(answeredAt as number).toISOString(),
    });
    const stepAt = (answeredAt as number) + STEP_MS;
    const { ticket: applied, next } = applyApprovals(decided, new Date(stepAt).toISOString());
    if (next === 'fulfilment') return this.openFulfilment(applied, stepAt);
    const nextIndex = stageToOpen(applied);
    const nextStage = applied.approvals[nextIndex ?? -1];
    if (next !== 'approval' || nextIndex === null || !nextStage || !isStageName(nextStage.stage))
      return applied;
    const system = this.catalog.find((candidate) => candidate.id === applied.system) as System;
    const decidedBy = applied.approvals.flatMap((approval) =>
      approval.decidedBy ? [approval.decidedBy] : [],
    );
    const assignment = await resolveStage(this.directory, nextStage.stage, { ...applied, system }, decidedBy);
    return openStage(
      applied,
      nextIndex,
      this.deadlines('approval', applied, stepAt),
      new Date(stepAt).toISOString(),
      assignment,
    );
  }

  /** The fulfiller's report (a webhook system has nobody to report yet, so it times out) and what follows it. */
  private awaitFulfilment(ticket: Ticket): Ticket {
    const deadline = ticket.fulfilment?.deadline as string;
    const fulfillers = eligibleFulfillers(ticket);
    const answer = this.scripted?.fulfilment;
    const reportedAt =
      fulfillers.length === 0
        ? null
        : answer
          ? Date.parse(ticket.updatedAt) + answer.afterMs
          : this.answerTime(Date.parse(ticket.updatedAt), FULFILLER);
    const ended = this.waitEnded(ticket, reportedAt, deadline);
    if (ended) return ended;
    const reported = recordFulfilment(ticket, {
      by: this.pick(fulfillers.map((fulfiller) => [fulfiller, fulfiller === answer?.by ? 1000 : 1])),
      result: !answer && this.random() < FULFILLER.fails ? 'failed' : 'done',
      note: null,
      at: new Date(reportedAt as number).toISOString(),
      via: this.random() < 0.7 ? 'link' : 'inbox',
    });
    return completeFulfilment(reported, new Date((reportedAt as number) + STEP_MS));
  }

  /**
   * A time-bound grant whose time is up by now, as the grant-revocation workflow (app/revocations.ts) ends it:
   * its fulfillers are asked to remove the access, and once one confirms, the grant ends and the ticket closes
   * `expired`; at once when another grant still provides the access. A revocation that nobody has confirmed by
   * now, or only after its deadline, leaves the ticket `revoking`.
   */
  private async awaitGrantEnd(ticket: Ticket): Promise<Ticket> {
    const until = ticket.grant?.until;
    const startedAt = until ? Date.parse(until) + STEP_MS : Number.POSITIVE_INFINITY;
    if (!ticket.grant || !until || startedAt > this.now) return ticket;
    const at = new Date(startedAt).toISOString();
    const begun = revocationToBegin(ticket, expiryExecutionName(ticket.grant.id, until), until, at);
    if (!begun) return ticket;
    const covering = (this.holdings.get(ticket.beneficiary) ?? []).find(
      (holding) =>
        holding.entitlement === ticket.entitlement &&
        holding.grant !== null &&
        holding.from <= startedAt &&
        startedAt < holding.until,
    );
    const system = this.catalog.find((candidate) => candidate.id === ticket.system);
    const revokers = covering ? [] : await revokersOf(this.directory, system, ticket);
    const opened = openRevocation(begun, {
      fulfillers: revokers,
      coveredBy: covering?.grant ?? null,
      deadlines: this.deadlines('revoke', ticket, startedAt),
      at,
    });
    if (covering) return opened;
    const answer = this.scripted?.revocation;
    const confirmedAt = answer ? startedAt + answer.afterMs : this.answerTime(startedAt, FULFILLER);
    const deadline = Date.parse(opened.revocation?.deadline ?? at);
    if (revokers.length === 0 || confirmedAt === null || confirmedAt >= deadline || confirmedAt > this.now) {
      return opened;
    }
    const confirmed = recordRevocationConfirmed(opened, {
      by: this.pick(revokers.map((revoker) => [revoker, revoker === answer?.by ? 1000 : 1])),
      comment: null,
      at: new Date(confirmedAt).toISOString(),
      via: this.random() < 0.7 ? 'link' : 'inbox',
    });
    return endGrant(confirmed, new Date(confirmedAt + STEP_MS).toISOString());
  }

  /**
   * Null when the answer came in time and by now; otherwise the ticket as the wait leaves it: timed out once
   * the deadline has passed, unchanged while it has not.
   */
  private waitEnded(ticket: Ticket, answeredAt: number | null, deadline: string): Ticket | null {
    const deadlineAt = Date.parse(deadline);
    if (answeredAt !== null && answeredAt < deadlineAt) return answeredAt <= this.now ? null : ticket;
    return deadlineAt <= this.now ? timeOut(ticket, deadline) : ticket;
  }

  private openFulfilment(approved: Ticket, at: number): Ticket {
    return openFulfilment(approved, this.deadlines('fulfilment', approved, at), new Date(at).toISOString());
  }

  /** When a person answers a wait opened at `openedAt`, or null if they never do. */
  private answerTime(
    openedAt: number,
    person: { fastestMs: number; slowestMs: number; neverAnswers: number },
  ): number | null {
    if (this.random() < person.neverAnswers) return null;
    // Log-uniform: as many answers within minutes as within hours.
    const { fastestMs, slowestMs } = person;
    return openedAt + Math.round(fastestMs * (slowestMs / fastestMs) ** this.random());
  }

  /** A wait's checkpoints by the defaults; only the final one is played (nobody here needs reminding). */
  private deadlines(wait: 'approval' | 'fulfilment' | 'revoke', ticket: Ticket, from: number): WaitDeadlines {
    return deadlinesFrom(defaultDeadlines[wait][ticket.urgency], new Date(from), 1);
  }

  private answersTo(hash: string, inputs: PolicyInputs): AskPolicies {
    let answers = this.answers.get(hash);
    if (!answers) {
      answers = this.baseline.answers(inputs);
      this.answers.set(hash, answers);
    }
    return answers;
  }

  private person(id: string): Identity {
    const identity = this.people.get(id);
    if (!identity) throw new Error(`A scripted request names ${id}, who is not in the demo directory`);
    return identity;
  }

  /** What the beneficiary held or was about to hold when the ticket was filed. */
  private holdsAt(beneficiary: string, at: number): string[] {
    const held = (this.holdings.get(beneficiary) ?? []).filter(
      (holding) => holding.from <= at && at < holding.until,
    );
    return [...new Set(held.map((holding) => holding.entitlement))].sort();
  }

  /**
   * An approved ticket is held from its approval until it closed: for time-bound access, when its grant ended
   * (never, while nobody has confirmed the access removed); standing access leaves no grant and a failed one
   * held nothing after.
   */
  private recordHolding(ticket: Ticket): void {
    const approved = ticket.timeline.find((event) => event.to === 'fulfilling');
    if (!approved || !ticket.entitlement) return;
    const closed = ticket.timeline.find((event) => event.to === 'closed');
    const holding = {
      entitlement: ticket.entitlement,
      grant: ticket.grant?.id ?? null,
      from: Date.parse(approved.at),
      until: closed ? Date.parse(closed.at) : Number.POSITIVE_INFINITY,
    };
    const held = this.holdings.get(ticket.beneficiary) ?? [];
    held.push(holding);
    this.holdings.set(ticket.beneficiary, held);
  }

  private peopleAbout(beneficiary: Identity, system: System): Map<string, Identity> {
    return new Map(
      peopleToRead(beneficiary, system).flatMap((id) => {
        const identity = this.people.get(id);
        return identity ? [[id, identity] as const] : [];
      }),
    );
  }

  private pick<T>(weighted: readonly (readonly [T, number])[]): T {
    const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
    let left = this.random() * total;
    for (const [item, weight] of weighted) {
      left -= weight;
      if (left < 0) return item;
    }
    return (weighted.at(-1) as readonly [T, number])[0];
  }
}

/** People file for themselves four times as often as for a report or a service account. */
const weightOf = (filing: Filing) => (filing.requester.id === filing.beneficiary.id ? 4 : 1);

/** A small, fast PRNG (mulberry32): the script needs the same sequence every run, not unpredictability. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
