"""What the tests share: real servers on loopback (SMTP, IMAP, PostgreSQL), mails, paths, settings."""
