namespace Fabric.Remote.Tests;

public sealed class RemoteOptionsTests
{
    [Fact]
    public void Validate_Defaults_NoProblems() => Assert.Empty(new RemoteOptions().Validate());

    [Fact]
    public void Validate_EverythingWrong_EveryProblemNamed()
    {
        var problems = new RemoteOptions
        {
            KeyFolder = "",
            ConnectTimeout = TimeSpan.Zero,
            KeepAliveInterval = TimeSpan.FromSeconds(-1),
            CommandTimeout = TimeSpan.Zero,
            ConnectRetries = -1,
            ConnectRetryDelay = TimeSpan.FromSeconds(-1),
            MaxChannelsPerConnection = 0,
        }.Validate();

        Assert.Equal(
            ["KeyFolder", "ConnectTimeout", "KeepAliveInterval", "CommandTimeout", "ConnectRetries", "ConnectRetryDelay", "MaxChannelsPerConnection"],
            problems.Select(p => p.Split(':')[0]));
    }

    [Fact]
    public void Create_BadOptions_ArgumentExceptionListingThem()
    {
        var identity = Fabric.Remote.Keys.SshIdentity.LoadOrCreate(Directory.CreateTempSubdirectory("fabric-options-").FullName);
        try
        {
            var error = Assert.Throws<ArgumentException>(() => RemoteHosts.Create(new RemoteOptions { ConnectRetries = 99 }, identity));

            Assert.Contains("ConnectRetries: 99", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(identity.Folder, recursive: true);
        }
    }
}
