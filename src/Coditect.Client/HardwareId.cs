using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Coditect.Client;

/// <summary>
/// A stable, privacy-preserving id for this machine. <see cref="Default"/> reads the operating system's machine id —
/// <c>/etc/machine-id</c> (or <c>/var/lib/dbus/machine-id</c>) on Linux, the <c>MachineGuid</c> value under
/// <c>HKLM\SOFTWARE\Microsoft\Cryptography</c> on Windows, <c>IOPlatformUUID</c> from <c>ioreg</c> on macOS — and returns
/// the lowercase hex SHA-256 of <c>"coditect-hardware-id/v1:" + id</c>. The raw id never leaves the machine and cannot be
/// recovered from the hash; the value survives reboots and application reinstalls, and changes when the OS is reinstalled
/// or a virtual machine is cloned with a fresh id.
/// </summary>
public static class HardwareId
{
    private const string Salt = "coditect-hardware-id/v1:";
    private static readonly char[] Blanks = [' ', '\t'];

    /// <summary>This machine's hardware id (64 lowercase hex characters).</summary>
    /// <returns>The hashed machine id.</returns>
    /// <exception cref="PlatformNotSupportedException">The operating system exposes no machine id (e.g. a minimal container
    /// without <c>/etc/machine-id</c>); pass an id of your own to <see cref="FromMachineId"/>.</exception>
    public static string Default() =>
        FromMachineId(ReadMachineId() ?? throw new PlatformNotSupportedException(
            "This machine exposes no machine id (/etc/machine-id, MachineGuid or IOPlatformUUID); pass your own to HardwareId.FromMachineId."));

    /// <summary>The hardware id for a machine id read some other way: the salted SHA-256, as <see cref="Default"/> computes it.</summary>
    /// <param name="machineId">The raw machine id; surrounding white space and letter case are ignored.</param>
    /// <returns>64 lowercase hex characters.</returns>
    public static string FromMachineId(string machineId)
    {
        if (string.IsNullOrWhiteSpace(machineId))
        {
            throw new ArgumentException("A machine id is required.", nameof(machineId));
        }

        return Compat.Sha256Hex(Salt + machineId.Trim().ToLowerInvariant());
    }

    private static string? ReadMachineId()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return WindowsMachineGuid();
        }

        if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
        {
            return MacPlatformUuid();
        }

        foreach (var path in new[] { "/etc/machine-id", "/var/lib/dbus/machine-id" })
        {
            try
            {
                if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } id)
                {
                    return id;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // try the next place
            }
        }

        return null;
    }

    private static string? WindowsMachineGuid()
    {
#if NET
        if (OperatingSystem.IsWindows())
        {
            using var root = Microsoft.Win32.RegistryKey.OpenBaseKey(Microsoft.Win32.RegistryHive.LocalMachine, Microsoft.Win32.RegistryView.Registry64);
            using var key = root.OpenSubKey(@"SOFTWARE\Microsoft\Cryptography");
            return key?.GetValue("MachineGuid") as string;
        }

        return null;
#else
        // netstandard2.0 has no registry API without a package: ask reg.exe, in the 64-bit view (a 32-bit process is
        // otherwise redirected to a view without MachineGuid).
        var output = Run("reg", @"query HKLM\SOFTWARE\Microsoft\Cryptography /v MachineGuid /reg:64");
        var line = output?.Split('\n').FirstOrDefault(l => Compat.Has(l, "MachineGuid"));
        return line?.Trim().Split(Blanks, StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
#endif
    }

    private static string? MacPlatformUuid()
    {
        var output = Run("ioreg", "-rd1 -c IOPlatformExpertDevice");
        var line = output?.Split('\n').FirstOrDefault(l => Compat.Has(l, "IOPlatformUUID"));
        var parts = line?.Split('"');
        return parts is { Length: >= 4 } ? parts[3] : null;
    }

    private static string? Run(string file, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments)
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
                CreateNoWindow = true,
            });
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(5000);
            return output;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }
}
