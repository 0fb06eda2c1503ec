export { type EmailMessage, type Mailer, SesMailer, TransientError } from './mailer';
export { type EmailAction, type EmailContent, type RenderedEmail, renderEmail } from './render';
