export { composeMime, type EmailMessage, type Mailer, SesMailer, TransientError } from './mailer';
