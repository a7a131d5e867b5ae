using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Router.Planning;
using Fabric.Router.State;

namespace Fabric.Router.Tests.State;

/// <summary>The four reads as one command: its outputs parsed apart (captured outputs between marker lines), and the
/// real read script under <c>/bin/sh</c> with stand-in <c>ip</c> and <c>nft</c> programs first in its PATH, so a read can
/// fail on purpose.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RouterReaderTests : IDisposable
{
    private const string Token = "@fabric-test";

    private readonly string _folder = Directory.CreateTempSubdirectory("fabric-router-read-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static RemoteCommandResult Result(int exitCode = 0, string? signal = null) =>
        new(RouterReader.ReadCommand([], Token), "root@10.0.0.5:22", exitCode, signal, "", "", TimeSpan.Zero);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Parse_CapturedOutputsBetweenMarkers_EachParsedByItsOwnParser()
    {
        string[] keys = ["net.ipv4.ip_forward", "net.ipv4.conf.eth1/100.proxy_arp", "net.ipv4.conf.eth2.proxy_arp"];
        string[] stdout =
        [
            .. Lines(Fixtures.Captured("ip-link.json")), $"{Token} links 0",
            .. Lines(Fixtures.Captured("ip-addr.json")), $"{Token} addresses 0",
            "net/ipv4/ip_forward=0", "net/ipv4/conf/eth1.100/proxy_arp=", "net/ipv4/conf/eth2/proxy_arp=0", $"{Token} sysctls 0",
            .. Lines(Fixtures.Captured("nft-table.json")), $"{Token} table 0",
        ];

        var actual = RouterReader.Parse(Result(), Token, keys, stdout, []);

        Assert.Equal(RouterStateParser.ParseLinks(Fixtures.Captured("ip-link.json")), actual.Links);
        Assert.Equal(RouterStateParser.ParseAddresses(Fixtures.Captured("ip-addr.json")).Keys, actual.Addresses.Keys);
        Assert.Equal(RouterStateParser.ParseAddresses(Fixtures.Captured("ip-addr.json"))["eth1"], actual.Addresses["eth1"]);
        Assert.Equal(RouterStateParser.ParseSysctls(Fixtures.Captured("sysctl.txt")), actual.Sysctls);
        Assert.True(RouterStateParser.ParseNftJson(Fixtures.Captured("nft-table.json")).SameAs(actual.Table));
    }

    [Fact]
    public void Parse_NoTableAndAMissingKey_TableNullAndTheKeyEmpty()
    {
        string[] stdout = ["[]", $"{Token} links 0", "[]", $"{Token} addresses 0", "net/ipv4/conf/eth1.300/forwarding=", $"{Token} sysctls 0", $"{Token} table 0"];

        var actual = RouterReader.Parse(Result(), Token, ["net.ipv4.conf.eth1/300.forwarding", "net.ipv4.ip_forward"], stdout, []);

        Assert.Null(actual.Table);
        Assert.Equal("", actual.Sysctls["net.ipv4.conf.eth1/300.forwarding"]);
        Assert.Equal("", actual.Sysctls["net.ipv4.ip_forward"]); // not printed at all: empty as well
        Assert.Empty(actual.Links);
    }

    [Fact]
    public void Parse_CutOffAfterTheLinks_FailsNamingTheAddressesReadWithTheCommandsStatus()
    {
        string[] stdout = ["[]", $"{Token} links 0", "[{\"ifname\":"];

        var e = Assert.Throws<RemoteCommandFailedException>(
            () => RouterReader.Parse(Result(-1, "KILL"), Token, [], stdout, [$"{Token} links 0"]));

        Assert.Equal("ip -j addr show", e.Result.Command.ShellText);
        Assert.Equal("root@10.0.0.5:22: 'ip -j addr show' was ended by signal KILL: the read stopped before addresses was read", e.Message);
    }

    [Fact]
    public void Parse_MarkerOfAnotherToken_IsOutputNotASeparator()
    {
        string[] stdout = ["[]", "@fabric-other links 0", $"{Token} links 0", "[]", $"{Token} addresses 0", $"{Token} sysctls 0", $"{Token} table 0"];

        var e = Assert.Throws<FormatException>(() => RouterReader.Parse(Result(), Token, [], stdout, []));

        Assert.StartsWith("ip -j link:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_RealShellAddressesReadFails_NamesThatReadWithItsOwnStatusAndError()
    {
        StandIn("ip", """
            case "$*" in
            *addr*) echo 'Cannot open netlink socket: Permission denied' >&2; exit 2 ;;
            *) echo '[{"ifname":"eth1","flags":["UP"]}]' ;;
            esac
            """);
        StandIn("nft", "echo 'Error: No such file or directory' >&2; exit 1");
        var host = new NamespaceHost(null, _folder, Path.Combine(_folder, "bin"));

        var e = await Assert.ThrowsAsync<RemoteCommandFailedException>(
            () => RouterReader.ReadAsync(host, RouterPlanner.Plan(Fixtures.Router(), [], []), CancellationToken.None));

        Assert.Equal("root@127.0.0.1:22: 'ip -j addr show' exited 2: Cannot open netlink socket: Permission denied", e.Message);
    }

    [Fact]
    public async Task ReadAsync_RealShellTableListingFails_NamesTheTableReadWithNftsError()
    {
        StandIn("ip", "echo '[]'");
        StandIn("nft", "echo 'Error: Could not process rule: Operation not permitted' >&2; exit 1");
        var host = new NamespaceHost(null, _folder, Path.Combine(_folder, "bin"));

        var e = await Assert.ThrowsAsync<RemoteCommandFailedException>(
            () => RouterReader.ReadAsync(host, RouterPlanner.Plan(Fixtures.Router(), [], []), CancellationToken.None));

        Assert.Equal("root@127.0.0.1:22: 'nft -j list table inet fabric' exited 1: Error: Could not process rule: Operation not permitted", e.Message);
    }

    [Fact]
    public async Task ReadAsync_RealShellNoTableAndKeysOfALinkThatIsNotThere_TableNullKeysEmptyOneRoundTrip()
    {
        StandIn("ip", "echo '[{\"ifname\":\"eth1\",\"flags\":[\"UP\"]}]'");
        StandIn("nft", "echo 'Error: No such file or directory' >&2; echo 'list table inet fabric' >&2; exit 1");
        var host = new CountingHost(new NamespaceHost(null, _folder, Path.Combine(_folder, "bin")));
        var desired = RouterPlanner.Plan(Fixtures.Router(), [Fixtures.Routed("pub1", "203.0.113.0/24", 3999)], []);

        var actual = await RouterReader.ReadAsync(host, desired, CancellationToken.None);

        Assert.Null(actual.Table);
        Assert.Equal("", actual.Sysctls["net.ipv4.conf.eth1/3999.forwarding"]);
        Assert.Equal("", actual.Sysctls["net.ipv4.conf.eth1/3999.proxy_arp"]);
        Assert.Equal(File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim(), actual.Sysctls["net.ipv4.ip_forward"]);
        Assert.Equal(["eth1"], actual.Links.Keys);
        Assert.Equal(1, host.Runs);
    }

    [Theory]
    [InlineData("net.ipv4.conf.eth1/100.forwarding", "net/ipv4/conf/eth1.100/forwarding")]
    [InlineData("net.ipv4.ip_forward", "net/ipv4/ip_forward")]
    public void SysctlPath_Key_DotsAndSlashesSwapped(string key, string path) => Assert.Equal(path, RouterReader.SysctlPath(key));

    private void StandIn(string program, string body)
    {
        var bin = Directory.CreateDirectory(Path.Combine(_folder, "bin")).FullName;
        var path = Path.Combine(bin, program);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private sealed class CountingHost(IRemoteHost inner) : IRemoteHost
    {
        public int Runs { get; private set; }

        public SshTarget Target => inner.Target;

        public Task<RemoteCommandResult> RunAsync(RemoteCommand command, RemoteRunOptions? options = null, CancellationToken cancellationToken = default)
        {
            Runs++;
            return inner.RunAsync(command, options, cancellationToken);
        }

        public Task UploadAsync(Stream content, string remotePath, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
            inner.UploadAsync(content, remotePath, progress, cancellationToken);

        public Task WriteFileAsync(string remotePath, ReadOnlyMemory<byte> content, UnixFileMode mode = RemoteFiles.DefaultMode, CancellationToken cancellationToken = default) =>
            inner.WriteFileAsync(remotePath, content, mode, cancellationToken);
    }
}
