using Microsoft.Extensions.Options;

namespace Fabric.Registry.Settings;

/// <summary>Section <c>Fabric:Discovery</c>: how many unknown machines the anonymous boot endpoint may register, and
/// how long one may wait for an operator.</summary>
public sealed class DiscoveryOptions
{
    public const string Section = "Fabric:Discovery";

    /// <summary>At most this many nodes are <c>discovered</c> at once; past it an unknown MAC still gets the discovery
    /// script, but nothing is written.</summary>
    public int MaxNodes { get; set; } = 1024;

    /// <summary>A discovered node not adopted within this time is removed.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);
}

/// <summary>Section <c>Fabric:Events</c>: the node event log.</summary>
public sealed class EventOptions
{
    public const string Section = "Fabric:Events";

    /// <summary>Only the newest this many events of each node are kept.</summary>
    public int MaxPerNode { get; set; } = 1000;
}

internal sealed class DiscoveryOptionsValidator : IValidateOptions<DiscoveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DiscoveryOptions options)
    {
        var problems = new List<string>();
        if (options.MaxNodes < 1)
        {
            problems.Add($"{DiscoveryOptions.Section}:MaxNodes: must be 1 or more");
        }

        if (options.Retention < TimeSpan.FromMinutes(1))
        {
            problems.Add($"{DiscoveryOptions.Section}:Retention: must be at least 00:01:00");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

internal sealed class EventOptionsValidator : IValidateOptions<EventOptions>
{
    public ValidateOptionsResult Validate(string? name, EventOptions options) =>
        options.MaxPerNode < 10
            ? ValidateOptionsResult.Fail($"{EventOptions.Section}:MaxPerNode: must be 10 or more")
            : ValidateOptionsResult.Success;
}
