namespace Coditect.Server.Notifications.Email;

/// <summary>
/// The kinds of e-mail the server sends. A person may turn off each notification kind (<see cref="Optional"/>);
/// security mail (password reset, address verification) and invitations always go.
/// </summary>
public static class MailKinds
{
    public const string Invitation = "invitation";
    public const string PasswordReset = "password_reset";
    public const string EmailVerification = "email_verification";
    public const string LicenseExpiring = "license_expiring";
    public const string SeatsExhausted = "seats_exhausted";
    public const string WebhookDisabled = "webhook_disabled";

    /// <summary>The kinds a person can turn off, with what each is about (the preference page's wording).</summary>
    public static readonly IReadOnlyDictionary<string, string> Optional = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [LicenseExpiring] = "A licence of an organization you administer expires in 30, 7 or 1 days.",
        [SeatsExhausted] = "A licence turned a user away because every seat was taken (at most once a day per licence).",
        [WebhookDisabled] = "A webhook endpoint was turned off after failing for days.",
    };

    public static bool IsOptional(string kind) => Optional.ContainsKey(kind);
}
