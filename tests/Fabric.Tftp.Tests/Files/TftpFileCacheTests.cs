using Fabric.Tftp.Files;

namespace Fabric.Tftp.Tests.Files;

public class TftpFileCacheTests
{
    private static readonly DateTime Modified = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task GetOrLoadAsync_ManyConcurrentCallers_LoadedOnceOffTheCallersThread()
    {
        var cache = new TftpFileCache(1 << 20, 4 << 20);
        int loads = 0;
        int callerThread = Environment.CurrentManagedThreadId;
        int loadThread = -1;
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        byte[] Load()
        {
            Interlocked.Increment(ref loads);
            loadThread = Environment.CurrentManagedThreadId;
            started.Set();
            release.Wait(TimeSpan.FromSeconds(30));
            return [1, 2, 3];
        }

        var pending = Enumerable.Range(0, 50).Select(_ => cache.GetOrLoadAsync("key", 10, Modified, 20, Load)).ToList();
        Assert.All(pending, p => Assert.False(p.IsCompleted));

        // The load starts while this thread still waits here, so it cannot be running on this thread.
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        Assert.NotEqual(callerThread, loadThread);
        release.Set();
        var results = await Task.WhenAll(pending);

        Assert.Equal(1, loads);
        Assert.All(results, r => Assert.Same(results[0], r));
        Assert.Equal(20, cache.TotalBytes);
    }

    [Fact]
    public async Task GetOrLoadAsync_LoadFails_EntryForgottenAndNextCallLoadsAgain()
    {
        var cache = new TftpFileCache(1 << 20, 4 << 20);

        await Assert.ThrowsAsync<IOException>(() => cache.GetOrLoadAsync("key", 10, Modified, 20, () => throw new IOException("gone")));
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.TotalBytes);
        Assert.Equal([7], await cache.GetOrLoadAsync("key", 10, Modified, 20, () => [7]));
    }

    [Fact]
    public async Task GetOrLoadAsync_OverTheBound_LeastRecentlyUsedCostGoesFirst()
    {
        var cache = new TftpFileCache(100, 250);
        await cache.GetOrLoadAsync("a", 50, Modified, 100, () => [1]);
        await cache.GetOrLoadAsync("b", 50, Modified, 100, () => [2]);
        await cache.GetOrLoadAsync("a", 50, Modified, 100, () => [9]);
        await cache.GetOrLoadAsync("c", 50, Modified, 100, () => [3]);

        Assert.Equal(2, cache.Count);
        Assert.Equal(200, cache.TotalBytes);
        Assert.Equal([1], await cache.GetOrLoadAsync("a", 50, Modified, 100, () => [9]));
    }
}
