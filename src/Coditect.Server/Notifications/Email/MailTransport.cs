using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Coditect.Server.Notifications.Email;

/// <summary>Where a finished message goes: an SMTP relay, or a folder of .eml files when none is set.</summary>
public interface IMailTransport
{
    /// <summary>Sends the messages in order over one connection; returns each one's error, or null when it was taken.</summary>
    Task<IReadOnlyList<string?>> SendAsync(IReadOnlyList<MimeMessage> messages, CancellationToken ct);
}

/// <summary>An SMTP relay through MailKit (<c>Email:Smtp:*</c>).</summary>
public sealed class SmtpMailTransport(IOptions<EmailOptions> options) : IMailTransport
{
    public async Task<IReadOnlyList<string?>> SendAsync(IReadOnlyList<MimeMessage> messages, CancellationToken ct)
    {
        var smtp = options.Value.Smtp;
        using var client = new SmtpClient { Timeout = smtp.TimeoutSeconds * 1000 };
        try
        {
            var security = smtp.Security switch
            {
                "none" => SecureSocketOptions.None,
                "starttls" => SecureSocketOptions.StartTls,
                "tls" => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.Auto,
            };
            await client.ConnectAsync(smtp.Host!, smtp.Port, security, ct);
            if (!string.IsNullOrEmpty(smtp.User))
            {
                await client.AuthenticateAsync(smtp.User, smtp.Password ?? "", ct);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var error = $"Cannot reach the SMTP server {smtp.Host}:{smtp.Port}: {e.GetBaseException().Message}";
            return [.. messages.Select(_ => (string?)error)];
        }

        var results = new List<string?>(messages.Count);
        foreach (var message in messages)
        {
            try
            {
                await client.SendAsync(message, ct);
                results.Add(null);
            }
            catch (Exception e) when (e is SmtpCommandException or SmtpProtocolException or IOException or TimeoutException)
            {
                results.Add(e.GetBaseException().Message);
                if (!client.IsConnected)
                {
                    results.AddRange(messages.Skip(results.Count).Select(_ => (string?)"The SMTP connection closed."));
                    return results;
                }
            }
        }

        await client.DisconnectAsync(quit: true, ct);
        return results;
    }
}

/// <summary>
/// The embedded default: each message becomes an .eml file in <c>Email:DropFolder</c> (<c>data/mail</c>), which any
/// mail program opens. Nothing is lost while no SMTP server is set up.
/// </summary>
public sealed class DropFolderMailTransport(IOptions<EmailOptions> options, IHostEnvironment environment) : IMailTransport
{
    public string Folder => Path.GetFullPath(Path.Combine(environment.ContentRootPath, options.Value.DropFolder));

    public async Task<IReadOnlyList<string?>> SendAsync(IReadOnlyList<MimeMessage> messages, CancellationToken ct)
    {
        Directory.CreateDirectory(Folder);
        var results = new List<string?>(messages.Count);
        foreach (var message in messages)
        {
            var name = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{(message.MessageId ?? Guid.NewGuid().ToString("N")).Split('@')[0]}.eml";
            var path = Path.Combine(Folder, name);
            var partial = path + ".partial";
            await using (var file = File.Create(partial))
            {
                await message.WriteToAsync(file, ct);
            }

            File.Move(partial, path, overwrite: true);
            results.Add(null);
        }

        return results;
    }
}
