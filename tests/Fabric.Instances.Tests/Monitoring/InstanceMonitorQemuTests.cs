using System.Diagnostics;
using System.Globalization;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Hypervisor;
using Fabric.Instances.Monitoring;
using Fabric.Instances.Settings;
using Fabric.Instances.Tests.Hypervisor;
using Fabric.Instances.Tests.Jobs;
using Fabric.Registry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Instances.Tests.Monitoring;

/// <summary>The monitor against a real qemu (TCG) on a real sshd (<see cref="HypervisorLab"/>): a qemu killed behind
/// Fabric's back is found gone and the instance failed; one that runs is left alone.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InstanceMonitorQemuTests(HypervisorLab lab) : IClassFixture<HypervisorLab>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-monitor-qemu-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task CheckAll_QemuKilledOnTheHypervisor_InstanceFailedWithTheEventAndARunningOneKept()
    {
        using var registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));
        await using var pool = lab.NewPool();
        var driver = new SshHypervisorDriver(pool, lab);
        using var metrics = new InstanceMetrics(registry);
        using var monitor = new InstanceMonitor(registry, driver, new RecordingJobService(), Options.Create(new InstanceOptions()), new FakeTimeProvider(), metrics, NullLogger<InstanceMonitor>.Instance);
        Assert.True((await registry.AddNodeAsync(new NodeInput { Name = HypervisorLab.A, Role = "hardware", Macs = ["52:54:00:00:40:01"], MacField = "mac", CpuCores = 4, MemoryMiB = 4096 }, Actor.Admin)).Succeeded);
        var name = "vm-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        var mac = MacAddress.Parse("02:fb:00:00:00:" + Random.Shared.Next(16, 255).ToString("x2", CultureInfo.InvariantCulture));
        Assert.True((await registry.AddNodeAsync(
            new NodeInput { Name = name, Role = "instance", Macs = [mac.ToString()], MacField = "mac", VCpus = 1, MemoryMiB = 64, DiskVolume = lab.DiskPath, Hypervisor = HypervisorLab.A }, Actor.Admin)).Succeeded);
        Assert.True((await registry.TransitionInstanceAsync(name, InstanceState.Defined, InstanceState.Starting, null, "test", Actor.Admin)).Succeeded);
        Assert.True((await registry.TransitionInstanceAsync(name, InstanceState.Starting, InstanceState.Running, null, "test", Actor.Job("1"))).Succeeded);
        using var timeout = new CancellationTokenSource(Patience);
        await driver.LaunchAsync(HypervisorLab.A, new QemuSpec(name, 1, 64, mac, lab.DiskPath, Accelerator.Tcg, "qemu64"), timeout.Token);
        int pid = lab.Pid(HypervisorLab.A, name) ?? throw new InvalidOperationException("qemu wrote no pid file");
        try
        {
            await monitor.CheckAllAsync(timeout.Token);
            Assert.Equal(InstanceState.Running, registry.FindNode(name)!.Instance!.State);

            Process.GetProcessById(pid).Kill();
            await HypervisorLab.WaitGoneAsync(pid);
            await monitor.CheckAllAsync(timeout.Token);

            Assert.Equal(InstanceState.Failed, registry.FindNode(name)!.Instance!.State);
            var lost = Assert.Single((await registry.ListEventsAsync(name)).Value!, e => e.Kind == EventKind.InstanceProcessLost);
            Assert.StartsWith($"qemu of {name} is gone from {HypervisorLab.A}", lost.Message, StringComparison.Ordinal);
        }
        finally
        {
            await driver.KillAsync(HypervisorLab.A, name, CancellationToken.None);
        }
    }
}
