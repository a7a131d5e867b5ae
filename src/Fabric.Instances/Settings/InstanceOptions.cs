using Microsoft.Extensions.Options;

namespace Fabric.Instances.Settings;

/// <summary>Section <c>Fabric:Instances</c>: placement and live migration.</summary>
public sealed class InstanceOptions
{
    public const string Section = "Fabric:Instances";

    /// <summary>A hypervisor takes up to its cores times this many vCPUs. Memory is never overcommitted.</summary>
    public int CpuOvercommit { get; set; } = 4;

    /// <summary>The longest pause of the guest a live migration may take at its end (QMP <c>downtime-limit</c>).</summary>
    public int MigrationDowntimeMs { get; set; } = 50;

    /// <summary>The bandwidth a live migration may use (QMP <c>max-bandwidth</c>).</summary>
    public int MigrationBandwidthMiBps { get; set; } = 1024;

    public static readonly TimeSpan MinCheckInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxCheckInterval = TimeSpan.FromHours(1);

    /// <summary>How often the qemu of every running or migrating instance is looked for on its hypervisor.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(10);
}

internal sealed class InstanceOptionsValidator : IValidateOptions<InstanceOptions>
{
    public ValidateOptionsResult Validate(string? name, InstanceOptions options)
    {
        var problems = new List<string>();
        if (options.CpuOvercommit is < 1 or > 64)
        {
            problems.Add($"{InstanceOptions.Section}:CpuOvercommit: must be 1-64");
        }

        if (options.MigrationDowntimeMs is < 1 or > 60_000)
        {
            problems.Add($"{InstanceOptions.Section}:MigrationDowntimeMs: must be 1-60000");
        }

        if (options.MigrationBandwidthMiBps is < 1 or > 1_000_000)
        {
            problems.Add($"{InstanceOptions.Section}:MigrationBandwidthMiBps: must be 1-1000000");
        }

        if (options.CheckInterval < InstanceOptions.MinCheckInterval || options.CheckInterval > InstanceOptions.MaxCheckInterval)
        {
            problems.Add($"{InstanceOptions.Section}:CheckInterval: must be {InstanceOptions.MinCheckInterval:c} to {InstanceOptions.MaxCheckInterval:c} (e.g. 00:00:10)");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
