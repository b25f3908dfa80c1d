using System.Net;
using System.Text;

namespace Coditect.Server.Notifications.Email;

/// <summary>A message's subject and its two parts.</summary>
public sealed record MailContent(string Subject, string Text, string Html);

/// <summary>
/// The messages the server writes. Each has a plain-text and an HTML part with the same words; every value from a
/// user is HTML-encoded; links are absolute, built from <c>App:PublicUrl</c> by the caller.
/// </summary>
public static class MailTemplates
{
    public static MailContent Invitation(string organization, string role, string inviter, string link, DateTime expiresAt) =>
        Compose($"You are invited to {organization} on CODITECT",
            [$"{inviter} invited you to join {organization} as {role}.", $"The invitation is valid until {Day(expiresAt)}."],
            ("Accept the invitation", link),
            "If you did not expect this, ignore this message: nothing happens unless you accept.");

    public static MailContent PasswordReset(string name, string link, int validMinutes) =>
        Compose("Reset your CODITECT password",
            [$"Hello {name},", $"Someone (we hope you) asked to reset the password of your account. The link works once, for {validMinutes} minutes."],
            ("Choose a new password", link),
            "If you did not ask for this, ignore this message: your password stays as it is.");

    public static MailContent EmailVerification(string name, string link) =>
        Compose("Confirm your e-mail address for CODITECT",
            [$"Hello {name},", "Confirm that this address is yours to finish setting up your account."],
            ("Confirm my address", link),
            "If you did not sign up, ignore this message.");

    public static MailContent LicenseExpiring(string organization, string licenseName, DateTime expiresAt, int days, string link, string preferences) =>
        Compose($"Licence \"{licenseName}\" expires in {days} day{(days == 1 ? "" : "s")}",
            [$"The licence \"{licenseName}\" of {organization} expires on {Day(expiresAt)}.", "Renew it before then, or its users lose their seats at expiry."],
            ("Open the licence", link),
            Unsubscribe(preferences));

    public static MailContent SeatsExhausted(string organization, string licenseName, int seats, string link, string preferences) =>
        Compose($"Licence \"{licenseName}\" turned a user away: all {seats} seats were taken",
            [$"Every seat of the licence \"{licenseName}\" of {organization} was in use when another user asked for one, who was refused.",
             "If this happens often, the licence may need more seats. We tell you at most once a day per licence."],
            ("Open the licence", link),
            Unsubscribe(preferences));

    public static MailContent WebhookDisabled(string organization, string url, string reason, string link, string preferences) =>
        Compose("A webhook endpoint was turned off",
            [$"The webhook endpoint {url} of {organization} was turned off: {reason}", "Fix the receiver, then turn the endpoint on again; events raised meanwhile are not sent to it."],
            ("Open the endpoint", link),
            Unsubscribe(preferences));

    public static MailContent TrialEnding(string organization, string plan, DateTime endsAt, string link, string preferences) =>
        Compose($"The {plan} trial of {organization} ends on {Date(endsAt)}",
            [$"The {plan} trial of {organization} ends on {Day(endsAt)}.",
             "Choose a plan before then to keep what it gives; otherwise the organization falls back to its default plan (nothing is deleted, growth beyond its limits is blocked)."],
            ("Open billing", link),
            Unsubscribe(preferences));

    public static MailContent PaymentFailed(string organization, string plan, DateTime accessUntil, string link) =>
        Compose($"Payment failed for {organization}: access until {Date(accessUntil)}",
            [$"The payment for the {plan} plan of {organization} failed.",
             $"Access continues until {Day(accessUntil)}; if no payment arrives by then, the product licence is suspended until one does.",
             "Update the card in the payment portal to pay the open invoice."],
            ("Open billing", link),
            "You get this because you administer the organization; billing mail cannot be turned off.");

    private static string Unsubscribe(string preferences) =>
        $"You get this because you administer the organization. Choose which messages you get: {preferences}";

    private static string Date(DateTime at) => at.ToString("d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture);

    private static string Day(DateTime at) => at.ToString("d MMMM yyyy 'at' HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    private static MailContent Compose(string subject, IReadOnlyList<string> paragraphs, (string Label, string Url) action, string footer)
    {
        var text = new StringBuilder();
        foreach (var paragraph in paragraphs)
        {
            text.Append(paragraph).Append("\n\n");
        }

        text.Append(action.Label).Append(":\n").Append(action.Url).Append("\n\n-- \n").Append(footer).Append('\n');

        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Encode(subject)).Append("</title></head>")
            .Append("<body style=\"font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#1f2328;max-width:560px;margin:24px auto;padding:0 16px\">");
        foreach (var paragraph in paragraphs)
        {
            html.Append("<p>").Append(Encode(paragraph)).Append("</p>");
        }

        html.Append("<p><a href=\"").Append(Encode(action.Url)).Append("\" style=\"display:inline-block;background:#0b5cad;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none\">")
            .Append(Encode(action.Label)).Append("</a></p>")
            .Append("<p style=\"font-size:13px;color:#57606a\">Or open this address: ").Append(Encode(action.Url)).Append("</p>")
            .Append("<hr style=\"border:none;border-top:1px solid #d0d7de\"><p style=\"font-size:12px;color:#57606a\">").Append(Encode(footer)).Append("</p>")
            .Append("</body></html>");
        return new MailContent(subject, text.ToString(), html.ToString());
    }

    private static string Encode(string value) => WebUtility.HtmlEncode(value);
}
