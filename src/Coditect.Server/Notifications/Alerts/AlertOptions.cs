using System.ComponentModel.DataAnnotations;

namespace Coditect.Server.Notifications.Alerts;

/// <summary><c>Notifications:*</c> settings: how often the cluster looks for licences to warn about.</summary>
public sealed class AlertOptions
{
    public const string Section = "Notifications";

    /// <summary>How often the cluster looks for licences reaching 30, 7 or 1 days before expiry.</summary>
    [Range(1, 86_400)]
    public int ExpiryCheckSeconds { get; set; } = 3600;

    /// <summary>How often the cluster looks for licence-hours with a denial not yet announced.</summary>
    [Range(1, 3600)]
    public int SeatAlertCheckSeconds { get; set; } = 60;
}
