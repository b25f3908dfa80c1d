using System.Security.Cryptography;
using NSec.Cryptography;

namespace Coditect.Server.Signing;

/// <summary>
/// A signature algorithm for lease tokens, activation tokens and licence files: how its keys are made, stored (PKCS#8,
/// encrypted with the master key), imported, and published (a JWK). Every per-algorithm decision lives here, so the
/// key store, the signer and the key set never switch on a name. ADR 0006 and 0022 say why these three.
/// </summary>
public abstract class TokenAlgorithm
{
    /// <summary>ECDSA on P-256 with SHA-256: the default.</summary>
    public static readonly TokenAlgorithm Es256 = new EcdsaP256();

    /// <summary>RSA-4096, PKCS#1 v1.5 with SHA-256: the key size of the original KMS plan.</summary>
    public static readonly TokenAlgorithm Rs256 = new Rsa4096();

    /// <summary>Ed25519 (RFC 8037 <c>EdDSA</c>): the cheapest to sign, through libsodium (NSec).</summary>
    public static readonly TokenAlgorithm EdDsa = new Ed25519Algorithm();

    /// <summary>Every algorithm a key can have, in the order the console offers them.</summary>
    public static readonly IReadOnlyList<TokenAlgorithm> All = [Es256, EdDsa, Rs256];

    /// <summary>The JWS <c>alg</c>, also what the key's row stores and what settings, the API and the command accept.</summary>
    public abstract string Name { get; }

    /// <summary>How the console names it.</summary>
    public abstract string Label { get; }

    /// <summary>The algorithm named <paramref name="name"/> (exactly, as JWS spells it), or null.</summary>
    public static TokenAlgorithm? Find(string? name) => All.FirstOrDefault(a => a.Name == name);

    /// <summary>"ES256, EdDSA or RS256", for error messages.</summary>
    public static string Names => string.Join(", ", All.Take(All.Count - 1).Select(a => a.Name)) + " or " + All[^1].Name;

    /// <summary>A new private key as PKCS#8. The caller zeroes it once it is encrypted.</summary>
    public abstract byte[] NewPrivateKey();

    /// <summary>A signer for a stored private key (PKCS#8).</summary>
    public abstract TokenSigner Import(byte[] pkcs8);

    private sealed class EcdsaP256 : TokenAlgorithm
    {
        public override string Name => "ES256";
        public override string Label => "ES256 (ECDSA P-256)";

        public override byte[] NewPrivateKey()
        {
            using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return ec.ExportPkcs8PrivateKey();
        }

        public override TokenSigner Import(byte[] pkcs8)
        {
            var ec = ECDsa.Create();
            ec.ImportPkcs8PrivateKey(pkcs8, out _);
            return new EcdsaSigner(ec);
        }
    }

    private sealed class Rsa4096 : TokenAlgorithm
    {
        public override string Name => "RS256";
        public override string Label => "RS256 (RSA-4096)";

        public override byte[] NewPrivateKey()
        {
            using var rsa = RSA.Create(4096);
            return rsa.ExportPkcs8PrivateKey();
        }

        public override TokenSigner Import(byte[] pkcs8)
        {
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(pkcs8, out _);
            return new RsaSigner(rsa);
        }
    }

    private sealed class Ed25519Algorithm : TokenAlgorithm
    {
        public override string Name => "EdDSA";
        public override string Label => "EdDSA (Ed25519)";

        public override byte[] NewPrivateKey()
        {
            var exportable = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
            using var key = Key.Create(SignatureAlgorithm.Ed25519, in exportable);
            // RFC 8410's PKCS#8 (OneAsymmetricKey), the same container the other algorithms store.
            return key.Export(KeyBlobFormat.PkixPrivateKey);
        }

        public override TokenSigner Import(byte[] pkcs8) =>
            // The imported key lives in libsodium's guarded memory and cannot be exported again.
            new Ed25519Signer(Key.Import(SignatureAlgorithm.Ed25519, pkcs8, KeyBlobFormat.PkixPrivateKey));
    }

    private sealed class EcdsaSigner(ECDsa key) : TokenSigner
    {
        // JWS wants the raw r||s form (IEEE P1363), not DER.
        public override byte[] Sign(ReadOnlySpan<byte> data) => key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        public override Dictionary<string, string> PublicJwk(string kid)
        {
            var p = key.ExportParameters(false);
            return new()
            {
                ["kty"] = "EC", ["crv"] = "P-256", ["x"] = LeaseTokens.Base64Url(p.Q.X), ["y"] = LeaseTokens.Base64Url(p.Q.Y),
                ["kid"] = kid, ["use"] = "sig", ["alg"] = "ES256",
            };
        }

        public override void Dispose() => key.Dispose();
    }

    private sealed class RsaSigner(RSA key) : TokenSigner
    {
        public override byte[] Sign(ReadOnlySpan<byte> data) => key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        public override Dictionary<string, string> PublicJwk(string kid)
        {
            var p = key.ExportParameters(false);
            return new()
            {
                ["kty"] = "RSA", ["n"] = LeaseTokens.Base64Url(p.Modulus), ["e"] = LeaseTokens.Base64Url(p.Exponent),
                ["kid"] = kid, ["use"] = "sig", ["alg"] = "RS256",
            };
        }

        public override void Dispose() => key.Dispose();
    }

    private sealed class Ed25519Signer(Key key) : TokenSigner
    {
        public override byte[] Sign(ReadOnlySpan<byte> data) => SignatureAlgorithm.Ed25519.Sign(key, data);

        // RFC 8037: an octet key pair, x the 32-byte public key.
        public override Dictionary<string, string> PublicJwk(string kid) => new()
        {
            ["kty"] = "OKP", ["crv"] = "Ed25519", ["x"] = LeaseTokens.Base64Url(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
            ["kid"] = kid, ["use"] = "sig", ["alg"] = "EdDSA",
        };

        public override void Dispose() => key.Dispose();
    }
}

/// <summary>One private key, ready to sign: safe to use from many threads at once.</summary>
public abstract class TokenSigner : IDisposable
{
    /// <summary>The JWS signature of <paramref name="data"/> (the ASCII of <c>header.payload</c>).</summary>
    public abstract byte[] Sign(ReadOnlySpan<byte> data);

    /// <summary>The public half as a JWK (RFC 7517), with <c>kid</c>, <c>use</c> <c>sig</c> and <c>alg</c>.</summary>
    public abstract Dictionary<string, string> PublicJwk(string kid);

    public abstract void Dispose();
}
