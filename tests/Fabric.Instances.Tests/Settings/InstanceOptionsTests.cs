using Fabric.Instances.Settings;

namespace Fabric.Instances.Tests.Settings;

public sealed class InstanceOptionsTests
{
    [Fact]
    public void Defaults_CpuOvercommitFourDowntimeFiftyMs_Valid()
    {
        var options = new InstanceOptions();

        Assert.Equal((4, TimeSpan.FromSeconds(10)), (options.CpuOvercommit, options.CheckInterval));
        Assert.Equal((50, 1024), (options.MigrationDowntimeMs, options.MigrationBandwidthMiBps));
        Assert.True(new InstanceOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Validate_EverySettingBad_ListsEveryKey()
    {
        var options = new InstanceOptions { CpuOvercommit = 0, MigrationDowntimeMs = 0, MigrationBandwidthMiBps = -1, CheckInterval = TimeSpan.FromMilliseconds(500) };

        var result = new InstanceOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(
            [
                "Fabric:Instances:CpuOvercommit: must be 1-64",
                "Fabric:Instances:MigrationDowntimeMs: must be 1-60000",
                "Fabric:Instances:MigrationBandwidthMiBps: must be 1-1000000",
                "Fabric:Instances:CheckInterval: must be 00:00:01 to 01:00:00 (e.g. 00:00:10)",
            ],
            result.Failures);
    }
}
