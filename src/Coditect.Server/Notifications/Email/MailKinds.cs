namespace Coditect.Server.Notifications.Email;

/// <summary>
/// The kinds of e-mail the server sends. A person may turn off each notification kind (<see cref="Optional"/>);
/// security mail (password reset, address verification), invitations and a failed payment always go.
/// </summary>
public static class MailKinds
{
    public const string Invitation = "invitation";
    public const string PasswordReset = "password_reset";
    public const string EmailVerification = "email_verification";
    public const string LicenseExpiring = "license_expiring";
    public const string SeatsExhausted = "seats_exhausted";
    public const string WebhookDisabled = "webhook_disabled";

    /// <summary>Billing (Stripe's <c>customer.subscription.trial_will_end</c>): the trial ends in a few days.</summary>
    public const string TrialEnding = "trial_ending";

    /// <summary>Billing (Stripe's <c>invoice.payment_failed</c>): not optional, access ends with the grace.</summary>
    public const string PaymentFailed = "payment_failed";

    /// <summary>The kinds a person can turn off, with what each is about (the preference page's wording).</summary>
    public static readonly IReadOnlyDictionary<string, string> Optional = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [LicenseExpiring] = "A licence of an organization you administer expires in 30, 7 or 1 days.",
        [SeatsExhausted] = "A licence turned a user away because every seat was taken (at most once a day per licence).",
        [WebhookDisabled] = "A webhook endpoint was turned off after failing for days.",
        [TrialEnding] = "The trial of an organization you administer ends in a few days.",
    };

    public static bool IsOptional(string kind) => Optional.ContainsKey(kind);
}
