import { describeChanges, type SimulationTally } from '../functions/domain/policy/simulation';

/** A text table: columns padded to their widest cell, numbers aligned right. */
export function textTable(headers: string[], rows: (string | number)[][]): string {
  const cells = rows.map((row) => row.map(String));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => (row[column] ?? '').length)),
  );
  const numeric = headers.map(
    (_, column) => rows.length > 0 && rows.every((row) => typeof row[column] === 'number'),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? cell.length;
        return numeric[column] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

const shown = (examples: string[], count: number) =>
  examples.length === 0 ? '' : `${examples.slice(0, 3).join(' ')}${count > 3 ? ' ...' : ''}`;

/** What a finished simulation says, as a person reads it in a terminal. */
export function simulationReport(
  simulation: { id: string; candidate: string; from: string; to: string },
  result: SimulationTally,
): string {
  const sections: string[] = [
    `Simulation ${simulation.id}: candidate ${simulation.candidate.slice(0, 12)}, tickets submitted ${simulation.from} to ${simulation.to}`,
    `${result.examined} access tickets examined, ${result.replayed} replayed, ${result.changed} would be decided otherwise` +
      (result.movedWhileRunning
        ? ` (${result.movedWhileRunning} left out: they changed status while it ran)`
        : ''),
  ];
  const changes = describeChanges(result);
  sections.push(
    changes.length > 0 ? changes.map((sentence) => `- ${sentence}`).join('\n') : '- no outcome would change',
  );

  const outcomes = [...result.outcomes].sort(
    (a, b) => Number(b.changed) - Number(a.changed) || b.count - a.count,
  );
  sections.push(
    `Outcomes\n${textTable(
      ['what happened', 'recorded', 'candidate', 'changed', 'tickets', 'examples'],
      outcomes.map((row) => [
        row.happened,
        row.recorded,
        row.candidate,
        row.changed ? 'yes' : 'no',
        row.count,
        shown(row.examples, row.count),
      ]),
    )}`,
  );
  if (result.stages.length > 0) {
    sections.push(
      `Approval stages\n${textTable(
        ['stage', 'change', 'tickets', 'examples'],
        result.stages.map((row) => [row.stage, row.change, row.count, shown(row.examples, row.count)]),
      )}`,
    );
  }
  if (result.caps.length > 0) {
    sections.push(
      `Caps shorter than what was granted\n${textTable(
        ['policy', 'max', 'tickets', 'examples'],
        result.caps.map((row) => [row.policyId, row.max, row.count, shown(row.examples, row.count)]),
      )}`,
    );
  }
  if (result.notReplayable.length > 0) {
    sections.push(
      `Not replayable\n${textTable(
        ['reason', 'tickets', 'examples'],
        result.notReplayable.map((row) => [row.reason, row.count, shown(row.examples, row.count)]),
      )}`,
    );
  }
  return sections.join('\n\n');
}

/**
 * Progress on stderr, so stdout keeps only the report: a bar redrawn in place on a terminal, a
 * plain line whenever it moves on anything else.
 */
export class ProgressLine {
  private readonly tty: boolean;
  private last = '';

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = stream.isTTY === true;
  }

  update(status: string, done: number, total: number | null): void {
    const text =
      total === null || total === 0
        ? `${status}: ${done} tickets read`
        : `${status}: ${bar(done / total)} ${Math.floor((100 * done) / total)}% (${done}/${total} tickets)`;
    if (text === this.last) return;
    this.last = text;
    this.stream.write(this.tty ? `\r\x1b[2K${text}` : `${text}\n`);
  }

  /** Ends the in-place line, so what follows starts on a line of its own. */
  end(): void {
    if (this.tty && this.last) this.stream.write('\n');
  }
}

const BAR_WIDTH = 30;
const bar = (fraction: number) => {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
};
