using System.Text.Json;

namespace Coditect.Cli;

/// <summary>
/// The signed-in user's tokens, in <c>$XDG_CONFIG_HOME/coditect/credentials.json</c> (default <c>~/.config/coditect</c>;
/// <c>%APPDATA%\coditect</c> on Windows; <c>CODITECT_CONFIG_DIR</c> overrides), readable by the user only (mode 600).
/// </summary>
internal sealed record Credentials(string Server, string AccessToken, string RefreshToken, string Email, string? Organization)
{
    public static string PathFor(Terminal terminal)
    {
        var folder = terminal.Environment("CODITECT_CONFIG_DIR");
        if (string.IsNullOrEmpty(folder))
        {
            var config = OperatingSystem.IsWindows()
                ? Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData)
                : terminal.Environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg
                    ? xdg
                    : Path.Combine(terminal.Environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            folder = Path.Combine(config, "coditect");
        }

        return Path.Combine(folder, "credentials.json");
    }

    public static Credentials? Load(Terminal terminal)
    {
        var path = PathFor(terminal);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Credentials>(File.ReadAllText(path), Output.Json);
        }
        catch (JsonException)
        {
            throw new NotSignedInException($"The credentials file {path} is damaged; run 'coditect login' again.");
        }
    }

    public void Save(Terminal terminal)
    {
        var path = PathFor(terminal);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var json = JsonSerializer.Serialize(this, Output.Json);
        if (OperatingSystem.IsWindows())
        {
            File.WriteAllText(path, json); // the profile folder is private to the user already
            return;
        }

        // Created 600 from the start, so the tokens are never readable by others, not even for a moment.
        var temporary = path + ".tmp";
        File.Delete(temporary);
        using (var file = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(json);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public static bool Delete(Terminal terminal)
    {
        var path = PathFor(terminal);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }
}
