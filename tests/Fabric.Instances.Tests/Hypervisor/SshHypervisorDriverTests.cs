using System.Diagnostics;
using System.Globalization;
using Fabric.Core;
using Fabric.Instances.Hypervisor;
using Fabric.Instances.Migration;
using Fabric.Instances.Qmp;

namespace Fabric.Instances.Tests.Hypervisor;

/// <summary><see cref="SshHypervisorDriver"/> with real qemu (TCG) and real sshd on 127.0.0.1: launch, QMP over SSH, kill,
/// and live migrations between the two hypervisors of <see cref="HypervisorLab"/> through <see cref="LiveMigration"/>.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SshHypervisorDriverTests(HypervisorLab lab) : IClassFixture<HypervisorLab>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private QemuSpec Spec(string name) =>
        new(name, 1, 64, MacAddress.Parse("02:fa:00:00:00:" + Random.Shared.Next(16, 255).ToString("x2", CultureInfo.InvariantCulture)), lab.DiskPath, Accelerator.Tcg, "qemu64");

    private static string Name() => "vm-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));

    [Fact]
    public async Task LaunchAsync_RealQemu_QmpOverSshThenKillLeavesNoProcess()
    {
        await using var pool = lab.NewPool();
        var driver = new SshHypervisorDriver(pool, lab);
        var name = Name();
        using var timeout = new CancellationTokenSource(Patience);

        await driver.LaunchAsync(HypervisorLab.A, Spec(name), timeout.Token);
        int pid = lab.Pid(HypervisorLab.A, name) ?? throw new InvalidOperationException("qemu wrote no pid file");
        string status;
        await using (var qmp = await driver.ConnectQmpAsync(HypervisorLab.A, name, timeout.Token))
        {
            status = (await qmp.ExecuteAsync("query-status", null, timeout.Token)).EnsureSuccess("query-status").GetProperty("status").GetString()!;
            Assert.True(qmp.Greeting.Major >= 7, $"qemu {qmp.Greeting.Major}");
        }

        bool runningBefore = await driver.IsRunningAsync(HypervisorLab.A, name, timeout.Token);
        await driver.KillAsync(HypervisorLab.A, name, timeout.Token);

        Assert.Equal("running", status);
        Assert.True(runningBefore);
        await HypervisorLab.WaitGoneAsync(pid);
        Assert.False(await driver.IsRunningAsync(HypervisorLab.A, name, timeout.Token));
        Assert.False(Directory.Exists(new InstancePaths(name, lab.Host(HypervisorLab.A).RunRoot).Folder));
    }

    [Fact]
    public async Task ConnectQmpAsync_NoSuchInstance_SaysWhy()
    {
        await using var pool = lab.NewPool();
        var driver = new SshHypervisorDriver(pool, lab);

        var error = await Assert.ThrowsAsync<QmpConnectionException>(() => driver.ConnectQmpAsync(HypervisorLab.A, Name(), CancellationToken.None).WaitAsync(Patience));

        Assert.Contains("No such file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConsoleAsync_NoSerialLog_Empty()
    {
        await using var pool = lab.NewPool();
        var driver = new SshHypervisorDriver(pool, lab);

        Assert.Equal("", await driver.ConsoleAsync(HypervisorLab.A, Name(), 4096, CancellationToken.None).WaitAsync(Patience));
    }

    [Fact]
    public async Task RunAsync_LiveMigrationOverSsh_RunsOnTargetAndSourceGone()
    {
        await using var pool = lab.NewPool();
        var driver = new SshHypervisorDriver(pool, lab);
        var name = Name();
        var spec = Spec(name);
        using var timeout = new CancellationTokenSource(Patience);
        await driver.LaunchAsync(HypervisorLab.A, spec, timeout.Token);
        int sourcePid = lab.Pid(HypervisorLab.A, name)!.Value;
        var reports = new List<MigrationInfo>();
        try
        {
            var plan = new MigrationPlan(name, HypervisorLab.A, HypervisorLab.B, spec, $"tcp:{lab.AddressB}:{Port()}", DowntimeMs: 300, BandwidthMiBps: 1024);

            var outcome = await new LiveMigration(driver, TimeProvider.System).RunAsync(plan, new ListProgress(reports), timeout.Token);

            Assert.True(outcome.Succeeded, outcome.Reason);
            Assert.Equal("completed", outcome.Info!.Status);
            Assert.NotEmpty(reports);
            await HypervisorLab.WaitGoneAsync(sourcePid);
            Assert.False(await driver.IsRunningAsync(HypervisorLab.A, name, timeout.Token));
            await using var target = await driver.ConnectQmpAsync(HypervisorLab.B, name, timeout.Token);
            var status = (await target.ExecuteAsync("query-status", null, timeout.Token)).EnsureSuccess("query-status");
            Assert.Equal("running", status.GetProperty("status").GetString());
        }
        finally
        {
            await driver.KillAsync(HypervisorLab.A, name, CancellationToken.None);
            await driver.KillAsync(HypervisorLab.B, name, CancellationToken.None);
        }
    }

    [Fact]
    public async Task RunAsync_TargetKilledDuringSlowMigration_SourceKeepsRunningAndTargetRemoved()
    {
        await using var pool = lab.NewPool();
        var driver = new SshHypervisorDriver(pool, lab);
        var name = Name();
        var spec = Spec(name);
        using var timeout = new CancellationTokenSource(Patience);
        await driver.LaunchAsync(HypervisorLab.A, spec, timeout.Token);
        await HypervisorLab.WaitDirtyingAsync(driver, HypervisorLab.A, name);
        await HypervisorLab.HoldBeforeSwitchoverAsync(driver, HypervisorLab.A, name);
        int sourcePid = lab.Pid(HypervisorLab.A, name)!.Value;
        int? killedTarget = null;
        var progress = new KillOnActive(() =>
        {
            // Held before its switch-over, the migration cannot end by itself.
            if (killedTarget is null && lab.Pid(HypervisorLab.B, name) is { } pid)
            {
                killedTarget = pid;
                Process.GetProcessById(pid).Kill();
            }
        });
        try
        {
            var plan = new MigrationPlan(name, HypervisorLab.A, HypervisorLab.B, spec, $"tcp:{lab.AddressB}:{Port()}", DowntimeMs: 1, BandwidthMiBps: 1);

            var outcome = await new LiveMigration(driver, TimeProvider.System).RunAsync(plan, progress, timeout.Token);

            Assert.False(outcome.Succeeded);
            Assert.NotNull(killedTarget);
            Assert.Contains($"keeps running on {HypervisorLab.A}", outcome.Reason, StringComparison.Ordinal);
            Assert.True(HypervisorLab.Alive(sourcePid), "the source qemu is gone");
            Assert.False(Directory.Exists(new InstancePaths(name, lab.Host(HypervisorLab.B).RunRoot).Folder));
            await using var source = await driver.ConnectQmpAsync(HypervisorLab.A, name, timeout.Token);
            var status = (await source.ExecuteAsync("query-status", null, timeout.Token)).EnsureSuccess("query-status");
            Assert.Equal("running", status.GetProperty("status").GetString());
        }
        finally
        {
            await driver.KillAsync(HypervisorLab.A, name, CancellationToken.None);
            await driver.KillAsync(HypervisorLab.B, name, CancellationToken.None);
        }
    }

    private static int Port() => Random.Shared.Next(20_000, 60_000);

    private sealed class ListProgress(List<MigrationInfo> reports) : IProgress<MigrationInfo>
    {
        public void Report(MigrationInfo value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }

    private sealed class KillOnActive(Action kill) : IProgress<MigrationInfo>
    {
        private int _active;

        public void Report(MigrationInfo value)
        {
            // After a few polls of an active migration, so the target is mid-stream.
            if (value.Status == "active" && Interlocked.Increment(ref _active) == 3)
            {
                kill();
            }
        }
    }
}
