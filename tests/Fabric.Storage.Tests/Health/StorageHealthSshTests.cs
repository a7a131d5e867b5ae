using Fabric.Core.Events;
using Fabric.Jobs;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Keys;
using Fabric.Remote.Tests.Ssh;
using Fabric.Storage.Health;
using Fabric.Storage.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fabric.Storage.Tests.Health;

/// <summary>The health monitor and the job runner of a real appliance's wiring against a real OpenSSH sshd on 127.0.0.1:
/// the sshd stopped (listener and connections) is <c>down</c> within two intervals; started again, it is <c>ok</c> and its
/// <c>storage-sync</c> runs over SSH and succeeds. The sessions get <c>FABRIC_RUN</c>, so the sync reads the test's own
/// pid-file folder, not this machine's /run/fabric.</summary>
public sealed class StorageHealthSshTests : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5); // as the lab; a busy machine needs the 4 s a check may take

    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-health-ssh-").FullName;
    private OpenSshServer? _server;
    private ServiceProvider? _services;
    private List<IHostedService> _hosted = [];

    public async Task InitializeAsync()
    {
        try
        {
            await SetUpAsync();
        }
        catch
        {
            // xUnit does not call DisposeAsync when InitializeAsync throws: stop what was started here.
            await DisposeAsync();
            throw;
        }
    }

    private async Task SetUpAsync()
    {
        var identity = SshIdentity.LoadOrCreate(Path.Combine(_dir, "ssh"));
        var run = Directory.CreateDirectory(Path.Combine(_dir, "run")).FullName;
        _server = await OpenSshServer.StartAsync(identity.PublicKey, new Dictionary<string, string> { ["FABRIC_RUN"] = run });
        var database = Path.Combine(_dir, "fabric.db");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fabric:Storage:CheckInterval"] = Interval.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddFabricRegistry(database);
        services.AddFabricJobs(configuration, sp =>
        {
            sp.GetRequiredService<IRegistry>();
            return database;
        });
        services.AddFabricRemote(new RemoteOptions
        {
            KeyFolder = identity.Folder,
            ConnectTimeout = TimeSpan.FromSeconds(1),
            ConnectRetries = 1,
            ConnectRetryDelay = TimeSpan.FromMilliseconds(100),
        });
        services.AddJobHandler<StorageSyncJobHandler>(); // the one storage kind this needs (no image store, no volumes)
        services.AddFabricStorageHealth(configuration);
        _services = services.BuildServiceProvider();

        var added = await _services.GetRequiredService<IRegistry>().AddNodeAsync(
            new NodeInput
            {
                Name = "store1",
                Role = "storage",
                Macs = ["52:54:00:00:0b:01"],
                MacField = "mac",
                Pair = "p",
                AoeShelf = 1,
                SshAddress = "127.0.0.1",
                SshPort = _server.Port,
                SshUser = OpenSshServer.User,
                SshHostKey = _server.HostKey,
            },
            Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());

        _hosted = [.. _services.GetServices<IHostedService>()];
        foreach (var service in _hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var service in Enumerable.Reverse(_hosted))
        {
            await service.StopAsync(CancellationToken.None);
        }

        _hosted = [];
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private IStorageHealth Health => _services!.GetRequiredService<IStorageHealth>();

    /// <summary>Waits for a health, returning how long it took (real time, generous: the machine may be busy).</summary>
    private async Task<TimeSpan> WaitForAsync(StorageHealth expected, TimeSpan within)
    {
        var started = DateTime.UtcNow;
        while (Health.Of("store1").Health != expected)
        {
            Assert.True(DateTime.UtcNow - started < within, $"store1 is still {Health.Of("store1").Health} after {within}: {Health.Of("store1").Reason}");
            await Task.Delay(50);
        }

        return DateTime.UtcNow - started;
    }

    [Fact]
    public async Task Monitor_SshdStoppedThenStarted_DownWithinTwoIntervalsThenUpAndSyncRuns()
    {
        await WaitForAsync(StorageHealth.Ok, TimeSpan.FromSeconds(60));

        _server!.Stop();
        var tookDown = await WaitForAsync(StorageHealth.Down, TimeSpan.FromSeconds(60));
        Assert.Contains($"127.0.0.1:{_server!.Port}", Health.Of("store1").Reason, StringComparison.Ordinal);

        await _server!.StartAgainAsync();
        await WaitForAsync(StorageHealth.Ok, TimeSpan.FromSeconds(60));

        var jobs = _services!.GetRequiredService<IJobService>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        Job? sync;
        while ((sync = (await jobs.ListAsync(new JobQuery(Node: "store1"))).FirstOrDefault(j => j.Kind == StorageSyncJobHandler.KindName)) is not { IsFinished: true })
        {
            Assert.True(DateTime.UtcNow < deadline, $"the storage-sync job is {sync?.State.Name() ?? "not queued"}");
            await Task.Delay(100);
        }

        Assert.True(sync.State == JobState.Succeeded, sync.Error);
        Assert.Equal("appliance", sync.Actor);
        var log = await jobs.LogAsync(sync.Id);
        Assert.Contains(log, l => l.Line.Contains("exports match the registry", StringComparison.Ordinal));
        var events = (await _services!.GetRequiredService<IRegistry>().ListEventsAsync("store1")).Value!
            .Where(e => e.Kind == EventKind.StorageDown || e.Kind == EventKind.StorageUp).ToList();
        Assert.True(events.Count == 2, string.Join(" | ", events.Select(e => $"{e.At:HH:mm:ss.fff} {e.Kind} {e.Message}")));
        Assert.Equal([EventKind.StorageDown, EventKind.StorageUp], events.Select(e => e.Kind));

        // Two intervals, plus room for a loaded machine; the check itself is bounded by four fifths of one.
        Assert.True(tookDown < Interval * 2 + TimeSpan.FromSeconds(10), $"down after {tookDown}");
    }
}
