using System.Text;
using Coditect.Contracts.Licensing;
using Coditect.Server.Platform;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Signing;

/// <summary>
/// The master key envelope-encrypted by Cloud KMS and settings from Secret Manager, against a local stand-in for
/// Google's REST APIs with real cryptography (<see cref="GoogleStandIn"/>): a second node on the first node's database
/// takes its master key from KMS instead of <c>Secrets:MasterKey</c>, so it can only start if the decryption is right.
/// </summary>
public sealed class KmsTests(SqliteApp app) : IClassFixture<SqliteApp>, IAsyncLifetime
{
    private const string KmsKey = "projects/test-project/locations/europe-west1/keyRings/coditect/cryptoKeys/master-key";
    private readonly GoogleStandIn _google = GoogleStandIn.Start();
    private readonly string _folder = Directory.CreateTempSubdirectory("coditect-kms-").FullName;

    [Fact]
    public async Task A_node_with_the_master_key_from_KMS_and_settings_from_Secret_Manager_reads_what_the_plain_key_wrote()
    {
        var anonymous = app.Anonymous();
        var vendor = await anonymous.RegisterAsync();
        var key = (await vendor.CreateLicenseAsync(seats: 2)).LicenseKey!;
        var before = await anonymous.AcquireSeatAsync(key, "machine-1");
        // The plain key's base64, encrypted as is (what an operator moving from Secrets:MasterKey to KMS does).
        var ciphertext = _google.Encrypt(KmsKey, Encoding.ASCII.GetBytes(app.MasterKey));
        _google.AddSecret("projects/test-project/secrets/smtp-password/versions/latest", "from-secret-manager");
        _google.AddSecret("projects/other-project/secrets/stripe-webhook/versions/2", "whsec_from_secret_manager");

        await using var node = new SecondNode(app, settings:
        [
            new("Secrets:MasterKey", ""),
            new("Secrets:MasterKeyKms", KmsKey),
            new("Secrets:MasterKeyCiphertext", ciphertext),
            new("Email:Smtp:Password", "from-the-environment"),
            new("SecretManager:Project", "test-project"),
            new("SecretManager:Secrets:Email:Smtp:Password", "smtp-password"),
            new("SecretManager:Secrets:Billing:Stripe:WebhookSecret", "projects/other-project/secrets/stripe-webhook/versions/2"),
            .. Endpoints(),
        ]);
        var client = node.Anonymous();

        // It decrypted the keys the first node stored with the plain key: same JWKS, same signing key.
        var jwks = await client.Http.GetStringAsync($"/api/v1/orgs/{vendor.OrgId}/jwks.json");
        (await LeaseTokenVerifier.VerifyAsync(before.LeaseToken, jwks, app.Clock)).IsValid.ShouldBeTrue("a token the first node signed");
        var renewed = await (await client.HeartbeatAsync(key, before.SessionId)).ReadAsync<HeartbeatResponse>(System.Net.HttpStatusCode.OK);
        var firstJwks = await anonymous.Http.GetStringAsync($"/api/v1/orgs/{vendor.OrgId}/jwks.json");
        (await LeaseTokenVerifier.VerifyAsync(renewed.LeaseToken, firstJwks, app.Clock)).IsValid.ShouldBeTrue("the KMS node signs with the same key");

        var configuration = node.Services.GetRequiredService<IConfiguration>();
        configuration["Email:Smtp:Password"].ShouldBe("from-secret-manager", "Secret Manager overrides the other sources");
        configuration["Billing:Stripe:WebhookSecret"].ShouldBe("whsec_from_secret_manager");
        // Workload identity: one token from the metadata server for the two secrets and the decryption.
        _google.ApiCalls.ShouldBe(3);
        _google.TokenFetches.ShouldBe(1);
    }

    [Fact]
    public void A_service_account_key_file_authenticates_and_a_wrong_ciphertext_stops_the_start_with_a_clear_message()
    {
        var otherKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var encryptedByAnotherKey = _google.Encrypt(KmsKey + "-old", Encoding.ASCII.GetBytes(otherKey));
        var keyFile = _google.WriteKeyFile(_folder);

        var wrong = Start(
            new("Secrets:MasterKeyKms", KmsKey),
            new("Secrets:MasterKeyCiphertext", encryptedByAnotherKey),
            new("Google:CredentialsFile", keyFile));
        _google.Encrypt(KmsKey, [1]); // the key exists now: the same ciphertext is refused as invalid, not as forbidden
        var invalid = Start(
            new("Secrets:MasterKeyKms", KmsKey),
            new("Secrets:MasterKeyCiphertext", encryptedByAnotherKey),
            new("Google:CredentialsFile", keyFile));

        wrong.Message.ShouldContain($"Cloud KMS, decrypting the master key (Secrets:MasterKeyCiphertext) with {KmsKey}, refused: HTTP 403 PERMISSION_DENIED");
        invalid.Message.ShouldContain($"with {KmsKey}, refused: HTTP 400 INVALID_ARGUMENT: Decryption failed: the ciphertext is invalid.");
        foreach (var failure in new[] { wrong, invalid })
        {
            failure.Message.ShouldNotContain(otherKey);
            failure.Message.ShouldNotContain("ya29.");
        }

        // Each start signed an assertion the token endpoint verified against the service account's public key.
        _google.TokenFetches.ShouldBe(2);
    }

    [Fact]
    public void The_master_key_setting_and_KMS_together_are_refused()
    {
        var failure = Start(new("Secrets:MasterKey", app.MasterKey), new("Secrets:MasterKeyKms", KmsKey), new("Secrets:MasterKeyCiphertext", "AAAA"));

        failure.Message.ShouldBe("Set Secrets:MasterKey or Secrets:MasterKeyKms (with its ciphertext), not both.");
        _google.TokenFetches.ShouldBe(0);
    }

    /// <summary>Starts a second node with these settings (no Secrets:MasterKey unless given) and returns why it would not start.</summary>
    private StartupException Start(params KeyValuePair<string, string?>[] settings)
    {
        using var node = new SecondNode(app, settings: [new("Secrets:MasterKey", ""), .. Endpoints(), .. settings]);
        var thrown = Should.Throw<Exception>(() => node.CreateClient());
        return StartupException.In(thrown) ?? throw new ShouldAssertException($"Not a start-up failure: {thrown}");
    }

    private IEnumerable<KeyValuePair<string, string?>> Endpoints() =>
    [
        new("Google:MetadataUrl", _google.BaseUrl),
        new("Google:KmsUrl", _google.BaseUrl),
        new("Google:SecretManagerUrl", _google.BaseUrl),
    ];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _google.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
