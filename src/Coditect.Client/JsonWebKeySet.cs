using System.Text.Json;
using System.Text.Json.Serialization;

namespace Coditect.Client;

/// <summary>A server's public signing keys, as published at <c>/.well-known/jwks.json</c> (RFC 7517).</summary>
public sealed class JsonWebKeySet
{
    private JsonWebKeySet(IReadOnlyList<JsonWebKey> keys, string json)
    {
        Keys = keys;
        Json = json;
    }

    /// <summary>The keys.</summary>
    public IReadOnlyList<JsonWebKey> Keys { get; }

    /// <summary>The JSON the set was read from, to store it.</summary>
    public string Json { get; }

    /// <summary>Reads a key set from its JSON (<c>{"keys": [...]}</c>).</summary>
    /// <param name="json">The JWKS document.</param>
    /// <returns>The key set.</returns>
    /// <exception cref="FormatException">The text is not a JWKS document.</exception>
    public static JsonWebKeySet Parse(string json)
    {
        try
        {
            var document = JsonSerializer.Deserialize<Document>(json ?? "", Wire.Json);
            if (document?.Keys is null)
            {
                throw new FormatException("A JWKS document needs a \"keys\" array.");
            }

            return new JsonWebKeySet([.. document.Keys.Where(k => k is not null)], json!);
        }
        catch (JsonException e)
        {
            throw new FormatException("The JWKS document is not valid JSON: " + e.Message, e);
        }
    }

    /// <summary>Reads a key set from a file, e.g. one saved by <see cref="SigningKeys.GetAsync(CancellationToken)"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The key set.</returns>
    /// <exception cref="FormatException">The file is not a JWKS document.</exception>
    public static JsonWebKeySet Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>The key with this id, or null.</summary>
    /// <param name="kid">The key id from a token's header.</param>
    /// <returns>The key, or null when the set has none with that id.</returns>
    public JsonWebKey? Find(string kid) => Keys.FirstOrDefault(k => string.Equals(k.Kid, kid, StringComparison.Ordinal));

    private sealed class Document
    {
        [JsonPropertyName("keys")]
        public List<JsonWebKey>? Keys { get; set; }
    }
}

/// <summary>
/// One public key of a <see cref="JsonWebKeySet"/> (RFC 7517/7518/8037). EC keys carry <c>crv</c>, <c>x</c>, <c>y</c>; OKP
/// (Ed25519) keys <c>crv</c>, <c>x</c>; RSA keys <c>n</c>, <c>e</c>.
/// </summary>
public sealed class JsonWebKey
{
    /// <summary>The key type: <c>EC</c>, <c>OKP</c> or <c>RSA</c>.</summary>
    [JsonPropertyName("kty")]
    public string? Kty { get; set; }

    /// <summary>The key id tokens name in their <c>kid</c> header.</summary>
    [JsonPropertyName("kid")]
    public string? Kid { get; set; }

    /// <summary>The algorithm the key is for, e.g. <c>ES256</c>; optional.</summary>
    [JsonPropertyName("alg")]
    public string? Alg { get; set; }

    /// <summary>The key's use, <c>sig</c> for signing keys; optional.</summary>
    [JsonPropertyName("use")]
    public string? Use { get; set; }

    /// <summary>The curve: <c>P-256</c> for EC keys, <c>Ed25519</c> for OKP keys.</summary>
    [JsonPropertyName("crv")]
    public string? Crv { get; set; }

    /// <summary>The EC public point's x coordinate, or the OKP public key, base64url.</summary>
    [JsonPropertyName("x")]
    public string? X { get; set; }

    /// <summary>The EC public point's y coordinate, base64url.</summary>
    [JsonPropertyName("y")]
    public string? Y { get; set; }

    /// <summary>The RSA modulus, base64url.</summary>
    [JsonPropertyName("n")]
    public string? N { get; set; }

    /// <summary>The RSA public exponent, base64url.</summary>
    [JsonPropertyName("e")]
    public string? E { get; set; }
}
