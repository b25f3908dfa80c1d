using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Coditect.Server.Licensing;
using Microsoft.Extensions.Options;
using Base64UrlCoder = System.Buffers.Text.Base64Url;

namespace Coditect.Server.Signing;

/// <summary>
/// What a lease token asserts. <see cref="BorrowedUntil"/> marks a borrowed seat (claim <c>borrowed_until</c>, Unix
/// seconds, equal to <c>exp</c>): valid offline without heartbeats until then.
/// </summary>
public sealed record LeaseClaims(
    Guid SessionId,
    Guid LicenseId,
    Guid OrganizationId,
    string HardwareId,
    IReadOnlyList<string> Entitlements,
    int SeatsTotal,
    DateTime IssuedAt,
    DateTime ExpiresAt,
    DateTime? BorrowedUntil = null);

/// <summary>The registered claims every signed statement carries: who or what it is about, for which licence, and when.</summary>
public sealed record Statement(Guid Subject, Guid LicenseId, Guid OrganizationId, DateTime IssuedAt, DateTime ExpiresAt);

/// <summary>
/// Signs lease tokens: compact JWS (RFC 7515) that any JWT library verifies against the organization's key set,
/// <c>/api/v1/orgs/{id}/jwks.json</c>. Written by hand on purpose: it is on the acquire and heartbeat hot path, and a
/// token is one small JSON object and one signature.
/// </summary>
public sealed class LeaseTokens(LeaseSigningKeys keys, IOptions<LicensingOptions> options)
{
    /// <summary>Each thread's payload buffer: a token is written without an await, so one buffer per thread is enough.</summary>
    private static readonly ThreadLocal<ArrayBufferWriter<byte>> Payload = new(() => new ArrayBufferWriter<byte>(1024));

    /// <summary>Encoded headers by key and statement type. Keys are few and kept for the process's life (rotation adds one).</summary>
    private readonly ConcurrentDictionary<(string KeyId, string Type), byte[]> _headers = new();

    public ValueTask<string> CreateAsync(LeaseClaims claims, IServiceProvider? requestServices, CancellationToken ct) =>
        SignAsync("JWT", new Statement(claims.SessionId, claims.LicenseId, claims.OrganizationId, claims.IssuedAt, claims.ExpiresAt), json =>
        {
            json.WriteString("hardware_id", claims.HardwareId);
            json.WriteStartArray("entitlements");
            foreach (var entitlement in claims.Entitlements)
            {
                json.WriteStringValue(entitlement);
            }

            json.WriteEndArray();
            json.WriteNumber("seats_total", claims.SeatsTotal);
            if (claims.BorrowedUntil is { } borrowedUntil)
            {
                json.WriteNumber("borrowed_until", new DateTimeOffset(borrowedUntil, TimeSpan.Zero).ToUnixTimeSeconds());
            }
        }, requestServices, ct);

    /// <summary>
    /// Signs a statement with its organization's current key: lease tokens (<c>typ</c> <c>JWT</c>), activation tokens and
    /// licence files, each with its own <paramref name="type"/> in the header so that none passes for another. The payload
    /// is <c>iss</c>, the <paramref name="statement"/>'s registered claims, then what <paramref name="claims"/> writes.
    /// Completes at once but for an organization's first statement on this node: its keys are read then, through
    /// the request's database context when <paramref name="requestServices"/> is given (<see cref="LeaseSigningKeys.ForOrganizationAsync"/> says why).
    /// </summary>
    public async ValueTask<string> SignAsync(string type, Statement statement, Action<Utf8JsonWriter> claims, IServiceProvider? requestServices, CancellationToken ct)
    {
        var key = (await keys.ForOrganizationAsync(statement.OrganizationId, requestServices, ct)).Current
            ?? throw new InvalidOperationException($"Organization {statement.OrganizationId} has no lease signing key.");
        var header = _headers.GetOrAdd((key.KeyId, type), static (k, algorithm) => Header(algorithm, k.KeyId, k.Type), key.Algorithm);
        var payload = Payload.Value!;
        payload.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(payload))
        {
            json.WriteStartObject();
            json.WriteString("iss", options.Value.TokenIssuer);
            json.WriteString("sub", statement.Subject);
            json.WriteNumber("iat", new DateTimeOffset(statement.IssuedAt, TimeSpan.Zero).ToUnixTimeSeconds());
            json.WriteNumber("exp", new DateTimeOffset(statement.ExpiresAt, TimeSpan.Zero).ToUnixTimeSeconds());
            json.WriteString("jti", Guid.NewGuid().ToString("N"));
            json.WriteString("license_id", statement.LicenseId);
            json.WriteString("org_id", statement.OrganizationId);
            claims(json);
            json.WriteEndObject();
        }

        // The signing input, header.payload, as ASCII bytes in one rented buffer: signed as it is, then the token's text.
        var inputLength = header.Length + 1 + Base64UrlCoder.GetEncodedLength(payload.WrittenCount);
        var input = ArrayPool<byte>.Shared.Rent(inputLength);
        try
        {
            header.CopyTo(input, 0);
            input[header.Length] = (byte)'.';
            Base64UrlCoder.EncodeToUtf8(payload.WrittenSpan, input.AsSpan(header.Length + 1));
            var signature = key.Key.Sign(input.AsSpan(0, inputLength));
            return string.Create(inputLength + 1 + Base64UrlCoder.GetEncodedLength(signature.Length), (input, inputLength, signature), static (text, state) =>
            {
                Encoding.ASCII.GetChars(state.input.AsSpan(0, state.inputLength), text);
                text[state.inputLength] = '.';
                Base64UrlCoder.EncodeToChars(state.signature, text[(state.inputLength + 1)..]);
            });
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    /// <summary>The base64url of a key's header for one statement type: the same for every statement, so made once.</summary>
    private static byte[] Header(string algorithm, string keyId, string type)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("alg", algorithm);
            json.WriteString("kid", keyId);
            json.WriteString("typ", type);
            json.WriteEndObject();
        }

        return Encoding.ASCII.GetBytes(Base64Url(buffer.WrittenSpan));
    }

    /// <summary>
    /// The organization's public keys as a JSON Web Key Set; null when there is no such organization. The platform's earlier
    /// keys are in it while they are published, so what they signed for this organization before keys were per
    /// organization still verifies; every such statement names its organization (<c>org_id</c>), which verifiers check.
    /// </summary>
    public async ValueTask<object?> JwksAsync(Guid organizationId, CancellationToken ct) =>
        await keys.PublishedForAsync(organizationId, ct) is { } set ? Jwks([.. set.Published, .. keys.PlatformPublished]) : null;

    /// <summary>The platform's keys still published, for the tokens they signed before keys were per organization.</summary>
    public object PlatformJwks() => Jwks(keys.PlatformPublished);

    /// <summary>Public keys as a JSON Web Key Set.</summary>
    public static object Jwks(IReadOnlyList<SigningKey> published) => new { keys = published.Select(k => k.Key.PublicJwk(k.KeyId)).ToArray() };

    public static string Base64Url(ReadOnlySpan<byte> bytes) => Base64UrlCoder.EncodeToString(bytes);
}
