"""Every write to the helpdesk, by feature; views, the mail intake, the webhook and commands call these."""
