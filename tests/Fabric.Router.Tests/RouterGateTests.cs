namespace Fabric.Router.Tests;

/// <summary>The gate between a router's apply and its drift check.</summary>
public sealed class RouterGateTests
{
    [Fact]
    public async Task TryEnterCheck_WhileAnApplyHoldsTheRouter_NullUntilItEnds()
    {
        var gate = new RouterGate();
        var apply = await gate.EnterApplyAsync("router1", CancellationToken.None);

        Assert.Null(gate.TryEnterCheck("router1"));
        Assert.Null(gate.TryEnterCheck("ROUTER1")); // node names are case-insensitive
        using (var other = gate.TryEnterCheck("router2"))
        {
            Assert.NotNull(other);
        }

        apply.Dispose();
        apply.Dispose(); // once only
        using var check = gate.TryEnterCheck("router1");
        Assert.NotNull(check);
        Assert.False(apply.Waited);
    }

    [Fact]
    public async Task EnterApplyAsync_WhileACheckReadsTheRouter_WaitsForItAndSaysItWaited()
    {
        var gate = new RouterGate();
        var check = gate.TryEnterCheck("router1")!;

        var apply = gate.EnterApplyAsync("router1", CancellationToken.None);
        await Task.Delay(50);
        Assert.False(apply.IsCompleted);
        check.Dispose();
        using var held = await apply.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(held.Waited);
        Assert.Null(gate.TryEnterCheck("router1"));
    }

    [Fact]
    public async Task EnterApplyAsync_CancelledWhileWaiting_ThrowsAndHoldsNothing()
    {
        var gate = new RouterGate();
        var check = gate.TryEnterCheck("router1")!;
        using var cancel = new CancellationTokenSource();

        var apply = gate.EnterApplyAsync("router1", cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => apply);
        check.Dispose();
        using var again = gate.TryEnterCheck("router1");
        Assert.NotNull(again);
    }
}
