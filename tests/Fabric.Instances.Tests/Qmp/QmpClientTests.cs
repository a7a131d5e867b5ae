using System.Text.Json.Nodes;
using Fabric.Instances.Qmp;

namespace Fabric.Instances.Tests.Qmp;

public sealed class QmpClientTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Connect_Greeting_NegotiatesCapabilitiesFirst()
    {
        await using var peer = new FakeQmpPeer();

        await using var client = await QmpClient.ConnectAsync(peer.FromQemu, peer.ToQemu).WaitAsync(Generous);

        Assert.Equal((9, 2), (client.Greeting.Major, client.Greeting.Minor));
        Assert.Equal("qmp_capabilities", Assert.Single(peer.Received).Execute);
    }

    [Fact]
    public async Task Execute_Return_ValueMatchedById()
    {
        await using var peer = new FakeQmpPeer().On("query-status", _ => """{"return": {"status": "running", "running": true}}""");
        await using var client = await QmpClient.ConnectAsync(peer.FromQemu, peer.ToQemu).WaitAsync(Generous);

        var result = await client.ExecuteAsync("query-status").WaitAsync(Generous);

        Assert.True(result.Succeeded);
        Assert.Equal("running", result.EnsureSuccess("query-status").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Execute_Arguments_SentAsJson()
    {
        await using var peer = new FakeQmpPeer().On("migrate-set-parameters", _ => """{"return": {}}""");
        await using var client = await QmpClient.ConnectAsync(peer.FromQemu, peer.ToQemu).WaitAsync(Generous);

        await client.ExecuteAsync("migrate-set-parameters", new JsonObject { ["downtime-limit"] = 300 }).WaitAsync(Generous);

        var (execute, arguments) = peer.Received.Last();
        Assert.Equal("migrate-set-parameters", execute);
        Assert.Equal(300, arguments!["downtime-limit"]!.GetValue<int>());
    }

    [Fact]
    public async Task Execute_QemuError_ErrorAsAValueAndEnsureSuccessThrowsNamingIt()
    {
        await using var peer = new FakeQmpPeer();
        await using var client = await QmpClient.ConnectAsync(peer.FromQemu, peer.ToQemu).WaitAsync(Generous);

        var result = await client.ExecuteAsync("migrat").WaitAsync(Generous);

        Assert.Equal("CommandNotFound", result.Error!.Class);
        var e = Assert.Throws<QmpCommandException>(() => result.EnsureSuccess("migrat"));
        Assert.Equal("qemu refused migrat: CommandNotFound: The command migrat has not been found", e.Message);
    }

    [Fact]
    public async Task Execute_TwoAtOnceAnsweredOutOfOrder_EachGetsItsOwnReturn()
    {
        await using var peer = new FakeQmpPeer()
            .On("slow", _ => null)
            .On("fast", _ => """{"return": {"which": "fast"}}""");
        await using var client = await QmpClient.ConnectAsync(peer.FromQemu, peer.ToQemu).WaitAsync(Generous);

        var slow = client.ExecuteAsync("slow");
        var fast = await client.ExecuteAsync("fast").WaitAsync(Generous);
        await peer.SendAsync("""{"return": {"which": "slow"}, "id": "2"}""");

        Assert.Equal("fast", fast.Value.GetProperty("which").GetString());
        Assert.Equal("slow", (await slow.WaitAsync(Generous)).Value.GetProperty("which").GetString());
    }

    [Fact]
    public async Task Events_AsyncEventBetweenReturns_DeliveredOnTheEventChannel()
    {
        await using var peer = new FakeQmpPeer();
        await using var client = await QmpClient.ConnectAsync(peer.FromQemu, peer.ToQemu).WaitAsync(Generous);

        await peer.SendAsync("""{"event": "MIGRATION", "data": {"status": "active"}, "timestamp": {"seconds": 1, "microseconds": 0}}""");
        var e = await client.Events.ReadAsync().AsTask().WaitAsync(Generous);

        Assert.Equal("MIGRATION", e.Name);
        Assert.Equal("active", e.Data.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Execute_QemuExitsWhileWaiting_ConnectionExceptionNotAHang()
    {
        await using var peer = new FakeQmpPeer().On("migrate", _ => null);
        await using var client = await QmpClient.ConnectAsync(peer.FromQemu, peer.ToQemu).WaitAsync(Generous);

        var waiting = client.ExecuteAsync("migrate");
        await peer.CloseAsync();

        var e = await Assert.ThrowsAsync<QmpConnectionException>(() => waiting.WaitAsync(Generous));
        Assert.Equal("the QMP connection closed", e.Message);
        await Assert.ThrowsAsync<QmpConnectionException>(() => client.ExecuteAsync("query-status").WaitAsync(Generous));
    }

    [Fact]
    public async Task Connect_PeerClosesBeforeGreeting_ConnectionException()
    {
        await using var peer = new FakeQmpPeer(greeting: null);
        await peer.CloseAsync();

        var e = await Assert.ThrowsAsync<QmpConnectionException>(() => QmpClient.ConnectAsync(peer.FromQemu, peer.ToQemu).WaitAsync(Generous));

        Assert.Equal("the QMP connection closed before qemu's greeting", e.Message);
    }

    [Fact]
    public async Task Execute_GarbageLineBeforeTheReturn_DroppedCountedAndStillAnswered()
    {
        await using var peer = new FakeQmpPeer().On("query-status", _ => null);
        await using var client = await QmpClient.ConnectAsync(peer.FromQemu, peer.ToQemu).WaitAsync(Generous);

        var waiting = client.ExecuteAsync("query-status");
        await peer.SendAsync("this is not json");
        await peer.SendAsync("""{"return": {"status": "paused"}, "id": "2"}""");

        Assert.Equal("paused", (await waiting.WaitAsync(Generous)).Value.GetProperty("status").GetString());
        Assert.Equal(1, client.MalformedLines);
    }
}
