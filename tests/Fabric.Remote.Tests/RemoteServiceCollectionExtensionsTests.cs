using Fabric.Remote.Keys;
using Fabric.Remote.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Remote.Tests;

public sealed class RemoteServiceCollectionExtensionsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fabric-remote-di-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task AddFabricRemote_Resolved_KeyMadeInFolderAndOnePool()
    {
        await using var provider = new ServiceCollection().AddFabricRemote(new RemoteOptions { KeyFolder = Path.Combine(_folder, "ssh") }).BuildServiceProvider();

        var identity = provider.GetRequiredService<SshIdentity>();
        var pool = provider.GetRequiredService<IRemoteHosts>();

        Assert.Equal(Path.Combine(_folder, "ssh"), identity.Folder);
        Assert.True(File.Exists(identity.PrivateKeyPath));
        Assert.Same(pool, provider.GetRequiredService<IRemoteHosts>());
    }

    [Fact]
    public async Task AddFabricRemote_FakeRegisteredFirst_FakeKept()
    {
        var fake = new FakeRemoteHosts();
        await using var provider = new ServiceCollection().AddSingleton<IRemoteHosts>(fake)
            .AddFabricRemote(new RemoteOptions { KeyFolder = _folder }).BuildServiceProvider();

        Assert.Same(fake, provider.GetRequiredService<IRemoteHosts>());
    }

    [Fact]
    public void AddFabricRemote_BadOptions_EveryProblemListed()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new ServiceCollection().AddFabricRemote(new RemoteOptions { ConnectTimeout = TimeSpan.Zero, MaxChannelsPerConnection = 0 }));

        Assert.Contains("ConnectTimeout", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxChannelsPerConnection", error.Message, StringComparison.Ordinal);
    }
}
