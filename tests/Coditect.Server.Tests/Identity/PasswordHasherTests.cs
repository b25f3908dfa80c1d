using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Coditect.Server.Identity;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Tests.Identity;

public sealed class PasswordHasherTests
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task A_new_hash_is_argon2id_and_names_its_parameters()
    {
        using var hasher = Hasher(memoryKiB: 1024, iterations: 1);

        var stored = await hasher.HashAsync(Password, default);

        stored.ShouldStartWith("$argon2id$v=19$m=1024,t=1,p=1$");
        stored.Split('$').Length.ShouldBe(6);
        (await hasher.VerifyAsync(Password, stored, default)).ShouldBe(new PasswordCheck(Valid: true, NeedsRehash: false));
        (await hasher.VerifyAsync("wrong horse battery staple", stored, default)).Valid.ShouldBeFalse();
        (await hasher.HashAsync(Password, default)).ShouldNotBe(stored, "each hash has its own salt");
    }

    [Fact]
    public async Task A_hash_written_by_the_reference_implementation_verifies()
    {
        // echo -n "correct horse battery staple" | argon2 coditect-salt-16 -id -t 2 -k 1024 -p 1 -l 32 (Debian's argon2 CLI)
        const string reference = "$argon2id$v=19$m=1024,t=2,p=1$Y29kaXRlY3Qtc2FsdC0xNg$AKLqmzN1PmbkxADZZItXEjd41DCTLFdaW790XD5kzfM";
        using var hasher = Hasher(memoryKiB: 1024, iterations: 2);

        (await hasher.VerifyAsync(Password, reference, default)).ShouldBe(new PasswordCheck(Valid: true, NeedsRehash: false));
        (await hasher.VerifyAsync(Password + "!", reference, default)).Valid.ShouldBeFalse();
    }

    [Fact]
    public async Task A_hash_made_with_other_parameters_still_verifies_and_asks_to_be_replaced()
    {
        using var before = Hasher(memoryKiB: 1024, iterations: 1);
        using var after = Hasher(memoryKiB: 2048, iterations: 1);
        var stored = await before.HashAsync(Password, default);

        (await after.VerifyAsync(Password, stored, default)).ShouldBe(new PasswordCheck(Valid: true, NeedsRehash: true));
        (await after.VerifyAsync("wrong horse battery staple", stored, default)).ShouldBe(new PasswordCheck(Valid: false, NeedsRehash: false));
    }

    [Fact]
    public async Task A_PBKDF2_hash_from_before_verifies_and_asks_to_be_replaced()
    {
        using var hasher = Hasher(memoryKiB: 1024, iterations: 1);
        var stored = Pbkdf2(Password, iterations: 10_000);

        (await hasher.VerifyAsync(Password, stored, default)).ShouldBe(new PasswordCheck(Valid: true, NeedsRehash: true));
        (await hasher.VerifyAsync("wrong horse battery staple", stored, default)).ShouldBe(new PasswordCheck(Valid: false, NeedsRehash: false));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain text")]
    [InlineData("$argon2id$")]
    [InlineData("$argon2id$v=16$m=1024,t=1,p=1$Y29kaXRlY3Qtc2FsdC0xNg$AKLqmzN1PmbkxADZZItXEjd41DCTLFdaW790XD5kzfM")]
    [InlineData("$argon2i$v=19$m=1024,t=2,p=1$Y29kaXRlY3Qtc2FsdC0xNg$AKLqmzN1PmbkxADZZItXEjd41DCTLFdaW790XD5kzfM")]
    [InlineData("$argon2id$v=19$m=1024,t=0,p=1$Y29kaXRlY3Qtc2FsdC0xNg$AKLqmzN1PmbkxADZZItXEjd41DCTLFdaW790XD5kzfM")]
    [InlineData("$argon2id$v=19$m=99999999,t=2,p=1$Y29kaXRlY3Qtc2FsdC0xNg$AKLqmzN1PmbkxADZZItXEjd41DCTLFdaW790XD5kzfM")]
    [InlineData("$argon2id$v=19$m=1024,t=2,p=1$not base64!$AKLqmzN1PmbkxADZZItXEjd41DCTLFdaW790XD5kzfM")]
    [InlineData("pbkdf2-sha256$-5$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$10000$not base64!$aGFzaA==")]
    public async Task A_malformed_stored_value_does_not_verify(string stored)
    {
        using var hasher = Hasher(memoryKiB: 1024, iterations: 1);

        (await hasher.VerifyAsync(Password, stored, default)).ShouldBe(new PasswordCheck(Valid: false, NeedsRehash: false));
    }

    [Fact]
    public async Task No_more_hashes_run_at_once_than_the_setting_allows()
    {
        using var hasher = Hasher(memoryKiB: 1024, iterations: 1, concurrency: 1);
        var running = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = hasher.InTurnAsync(() => running.Task, default);

        var waiting = hasher.HashAsync(Password, default);
        using var cancel = new CancellationTokenSource();
        var cancelled = hasher.VerifyAsync(Password, Pbkdf2(Password, 10_000), cancel.Token);
        await Task.Delay(200);
        waiting.IsCompleted.ShouldBeFalse("the only turn is taken");
        await cancel.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(cancelled);

        running.SetResult([]);
        await first;
        (await waiting).ShouldStartWith("$argon2id$");
    }

    internal static string Pbkdf2(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        return string.Create(CultureInfo.InvariantCulture, $"pbkdf2-sha256${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    private static PasswordHasher Hasher(int memoryKiB, int iterations, int concurrency = 2) =>
        new(Options.Create(new IdentityOptions { Argon2MemoryKiB = memoryKiB, Argon2Iterations = iterations, PasswordHashConcurrency = concurrency }));
}
