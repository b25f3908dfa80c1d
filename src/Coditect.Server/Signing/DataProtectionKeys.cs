using System.Text;
using System.Xml.Linq;
using Coditect.Server.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Signing;

/// <summary>
/// One ASP.NET Data Protection key as the key manager writes it: XML whose secret part is encrypted under the master
/// key (<see cref="MasterKeyXmlEncryptor"/>). Console cookies and antiforgery tokens are protected with these keys, so
/// every node reads the same ring from the database.
/// </summary>
[NotAudited]
public sealed class DataProtectionKey : Entity
{
    public required string FriendlyName { get; set; }

    [NotAudited]
    public required string Xml { get; set; }
}

internal sealed class DataProtectionKeyConfiguration : IEntityTypeConfiguration<DataProtectionKey>
{
    public void Configure(EntityTypeBuilder<DataProtectionKey> key) => key.Property(k => k.FriendlyName).HasMaxLength(100);
}

/// <summary>
/// The key ring's repository: one row per key. The key manager reads the ring at start, caches it, and reads it again
/// when it meets a key id it does not know (one another node made), so nodes converge on one ring.
/// </summary>
public sealed class DatabaseXmlRepository(IServiceScopeFactory scopes) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        // The key manager's interface is synchronous; it calls it rarely (start, refresh, an unknown key id).
        return db.Set<DataProtectionKey>().AsNoTracking().OrderBy(k => k.CreatedAt).Select(k => k.Xml).ToList()
            .Select(xml => XElement.Parse(xml)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        db.Add(new DataProtectionKey
        {
            FriendlyName = friendlyName[..Math.Min(friendlyName.Length, 100)],
            Xml = element.ToString(SaveOptions.DisableFormatting),
        });
        // Synchronous by the interface; the context allows only SaveChangesAsync. Once per key (every 90 days).
        db.SaveChangesAsync().GetAwaiter().GetResult();
    }
}

/// <summary>Encrypts a key's secret element with AES-256-GCM under the master key, before it reaches the repository.</summary>
public sealed class MasterKeyXmlEncryptor(MasterKey masterKey) : IXmlEncryptor
{
    internal const string Purpose = "data-protection-key";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var element = new XElement("encryptedKey",
            new XComment(" AES-256-GCM under the CODITECT master key "),
            new XElement("value", Convert.ToBase64String(masterKey.Encrypt(plaintext, Purpose))));
        return new EncryptedXmlInfo(element, typeof(MasterKeyXmlDecryptor));
    }
}

/// <summary>The other half, which the key manager creates by type name (hence the service-provider constructor).</summary>
public sealed class MasterKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var ciphertext = Convert.FromBase64String((string?)encryptedElement.Element("value") ?? "");
        var plaintext = services.GetRequiredService<MasterKey>().Decrypt(ciphertext, MasterKeyXmlEncryptor.Purpose);
        return XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }
}

public static class DataProtectionKeysExtensions
{
    /// <summary>Data Protection with its key ring in the database (secrets encrypted under the master key), one application name for every node.</summary>
    public static IServiceCollection AddDatabaseDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("coditect");
        services.AddSingleton<DatabaseXmlRepository>();
        services.AddOptions<KeyManagementOptions>().Configure<DatabaseXmlRepository, MasterKey>((options, repository, masterKey) =>
        {
            options.XmlRepository = repository;
            options.XmlEncryptor = new MasterKeyXmlEncryptor(masterKey);
        });
        return services;
    }
}
