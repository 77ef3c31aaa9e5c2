/// Every PersonaClick API path this project uses, in one table (the client, the sandbox and docs/SANDBOX.md follow it).
public enum PersonaClickPaths {
    /// POST: set a contact's subscription flags (`email`, `phone`, `external_id`, `loyalty_id` or `telegram_id`, and
    /// any of the 12 booleans; an omitted flag is left as it is).
    public static let manage = "/subscriptions/manage"
    /// POST `{email, event}`: a system callback (`hard_bounced`, `complained`, `blacklisted`, `unsubscribed`).
    public static let callback = "/subscriptions/callback"
    /// GET `?email=…` or `?phone=…`: a contact's flags and email status.
    public static let check = "/subscriptions/check"
    /// GET `?from&to&offset&limit…`: the change feed (at most 20,000 items a page).
    public static let changes = "/subscriptions/changes"
    /// POST `{email}`: marks the email confirmed (re-sends the double opt-in mail); 400 when already confirmed.
    public static let confirmEmail = "/subscriptions/confirm_email"
}
