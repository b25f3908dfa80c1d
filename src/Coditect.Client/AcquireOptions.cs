namespace Coditect.Client;

/// <summary>What an application may tell the server about itself when it takes a seat; all optional.</summary>
public sealed class AcquireOptions
{
    /// <summary>The signed-in user's email, shown to the licence's administrators.</summary>
    public string? UserEmail { get; set; }

    /// <summary>The machine's name, shown to the licence's administrators.</summary>
    public string? Hostname { get; set; }

    /// <summary>The application's version.</summary>
    public string? AppVersion { get; set; }

    /// <summary>The operating system, e.g. <c>Windows 11</c>.</summary>
    public string? Os { get; set; }
}
