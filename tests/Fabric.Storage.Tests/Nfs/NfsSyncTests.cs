using System.Net;
using System.Text;
using Fabric.Core;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;
using Fabric.Storage.Nfs;

namespace Fabric.Storage.Tests.Nfs;

/// <summary>The NFS part of a storage sync against a fake node that keeps the configuration written to it and runs ganesha
/// once it is started.</summary>
public sealed class NfsSyncTests
{
    private const string Folder = "/run/fabric";
    private readonly FakeRemoteHost _host = new(new SshTarget("10.9.0.1", 22, "root", null));
    private bool _alive;

    public NfsSyncTests()
    {
        _host.On(c => c.Equals(GaneshaScripts.StatusCommand(Folder)), _ =>
        {
            var config = _host.Files.TryGetValue($"{Folder}/ganesha.conf", out var bytes) ? Encoding.UTF8.GetString(bytes) : "";
            return FakeReply.Ok((_alive ? "alive 4242\n" : "dead\n") + config);
        });
        _host.On(c => c.Equals(GaneshaScripts.StartCommand(Folder)), _ =>
        {
            _alive = true;
            return FakeReply.Ok();
        });
    }

    private static Node Storage(params string[] exports) => new()
    {
        Name = "store0",
        Role = NodeRole.Storage,
        Macs = [MacAddress.Parse("52:54:00:00:01:01")],
        Ip = IPAddress.Parse("10.9.0.1"),
        Storage = new StorageSpec("pair-a", 0, [], exports),
    };

    [Fact]
    public async Task SyncAsync_TwiceWithExports_WritesAndStartsOnceThenNothing()
    {
        var node = Storage("/srv/fabric/nfs/hnode01");
        var log = new List<string>();

        var first = await NfsSync.SyncAsync(_host, node, dryRun: false, log.Add, CancellationToken.None);
        var second = await NfsSync.SyncAsync(_host, node, dryRun: false, log.Add, CancellationToken.None);

        Assert.Equal([NfsActionKind.WriteConfig, NfsActionKind.Start], first.Select(a => a.Kind));
        Assert.Empty(second);
        Assert.Equal(GaneshaConfig.Render(node, Folder), Encoding.UTF8.GetString(_host.Files[$"{Folder}/ganesha.conf"]));
        Assert.Equal(
            [GaneshaScripts.StatusCommand(Folder), GaneshaScripts.MakeFolderCommand(Folder), GaneshaScripts.StartCommand(Folder), GaneshaScripts.StatusCommand(Folder)],
            _host.Commands);
        Assert.Contains(log, l => l.EndsWith("NFS exports match the registry", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SyncAsync_ExportAddedWhileRunning_WritesAndReloads()
    {
        await NfsSync.SyncAsync(_host, Storage("/srv/fabric/nfs/hnode01"), dryRun: false, _ => { }, CancellationToken.None);

        var plan = await NfsSync.SyncAsync(_host, Storage("/srv/fabric/nfs/hnode01", "/srv/fabric/nfs/hnode02"), dryRun: false, _ => { }, CancellationToken.None);

        Assert.Equal([NfsActionKind.WriteConfig, NfsActionKind.Reload], plan.Select(a => a.Kind));
        Assert.Equal(GaneshaScripts.ReloadCommand(Folder), _host.Commands[^1]);
        Assert.Contains("/srv/fabric/nfs/hnode02", Encoding.UTF8.GetString(_host.Files[$"{Folder}/ganesha.conf"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SyncAsync_DryRun_ShowsThePlanChangesNothing()
    {
        var log = new List<string>();

        var plan = await NfsSync.SyncAsync(_host, Storage("/srv/fabric/nfs/hnode01"), dryRun: true, log.Add, CancellationToken.None);

        Assert.Equal(2, plan.Count);
        Assert.Equal([GaneshaScripts.StatusCommand(Folder)], _host.Commands);
        Assert.Empty(_host.Files);
        Assert.Contains(log, l => l.Contains("would write ganesha.conf: none in place", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("would start ganesha", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SyncAsync_ExportsRemoved_StopsGanesha()
    {
        await NfsSync.SyncAsync(_host, Storage("/srv/fabric/nfs/hnode01"), dryRun: false, _ => { }, CancellationToken.None);

        var plan = await NfsSync.SyncAsync(_host, Storage(), dryRun: false, _ => { }, CancellationToken.None);

        Assert.Equal(NfsActionKind.Stop, Assert.Single(plan).Kind);
        Assert.Equal(GaneshaScripts.StopCommand(Folder), _host.Commands[^1]);
    }

    [Fact]
    public async Task SyncAsync_NoExportsNothingRunning_NothingToDo()
    {
        var plan = await NfsSync.SyncAsync(_host, Storage(), dryRun: false, _ => { }, CancellationToken.None);

        Assert.Empty(plan);
        Assert.Equal([GaneshaScripts.StatusCommand(Folder)], _host.Commands);
    }

    [Theory]
    [InlineData("dead\n", false, null)]
    [InlineData("alive 77\nNFS_CORE_PARAM {}\n", true, "NFS_CORE_PARAM {}\n")]
    [InlineData("", false, null)]
    public void ParseStatus_Output_StateAndConfig(string output, bool alive, string? config)
    {
        var state = GaneshaScripts.ParseStatus(output);

        Assert.Equal((alive, config), (state.Alive, state.Config));
    }
}
