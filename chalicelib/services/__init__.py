"""Services: what a scheduled run or a route calls, with its stores, connectors, sheet and mailer passed in."""
