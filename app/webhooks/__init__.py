"""Chat rooms and signed hooks a group's admins connect: what happens in the group,
posted by the outbox (never a support request's message)."""
