"""Hub users, sign-in (JWT access tokens, rotating refresh tokens), password resets, roles."""
