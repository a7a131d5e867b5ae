using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Router.Diff;
using Fabric.Router.Testing;

namespace Fabric.Router.Tests.Diff;

/// <summary>The apply as one script: its text, and what the real <c>/bin/sh</c> does with it (run on this machine in a
/// folder of the test's through <see cref="NamespaceHost"/> with no namespace).</summary>
public sealed class RouterScriptTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fabric-router-script-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void For_TwoActions_MarkerBeforeEachCommandsQuotedAndStopOnFailure()
    {
        RouterAction[] actions =
        [
            new(RouterActionKind.AddAddress, "eth1.100", "add addr 203.0.113.1/24 dev eth1.100", [RemoteCommand.Of("ip", "addr", "add", "203.0.113.1/24", "dev", "eth1.100")]),
            new(RouterActionKind.SetSysctl, "k", "set sysctl k=1\nsecond line", [RemoteCommand.Of("sysctl", "-w", "k=1"), RemoteCommand.Of("echo", "it's")]),
        ];

        var script = RouterScript.For(actions, "@fabric-test");

        Assert.Equal(
            """
            #!/bin/sh
            # Fabric router apply: 2 changes, one marker line per change.
            exec 2>&1
            m=@fabric-test
            fail() { printf '%s failed %s %s %s\n' "$m" "$2" "$3" "$1"; exit "$1"; }
            printf '%s start\n' "$m"
            # add addr 203.0.113.1/24 dev eth1.100
            printf '%s begin %s\n' "$m" 0
            ip addr add 203.0.113.1/24 dev eth1.100 || fail $? 0 0
            # set sysctl k=1 second line
            printf '%s begin %s\n' "$m" 1
            sysctl -w k=1 || fail $? 1 0
            echo 'it'\''s' || fail $? 1 1
            printf '%s end\n' "$m"

            """,
            script.Text);
        Assert.Equal(new ScriptLine(ScriptLineKind.Start, -1, -1, 0), script.Classify("@fabric-test start"));
        Assert.Equal(new ScriptLine(ScriptLineKind.Failed, 1, 0, 255), script.Classify("@fabric-test failed 1 0 255"));
        Assert.Equal(ScriptLineKind.Output, script.Classify("@fabric-test failed 1 w 1").Kind); // action 1 writes no file
        Assert.Equal(ScriptLineKind.Output, script.Classify("@fabric-other begin 0").Kind);
        Assert.Equal(ScriptLineKind.Output, script.Classify("@fabric-test begin 2").Kind); // no such action
    }

    [Fact]
    public void For_ActionWithAFile_HereDocumentToATemporaryNameRenamedBeforeItsCommands()
    {
        RouterAction[] actions =
        [
            new(RouterActionKind.ReplaceTable, "inet fabric", "create table inet fabric", [RemoteCommand.Of("nft", "-f", "/run/fabric/router/fabric.nft")],
                new RouterFile("/run/fabric/router/fabric.nft", "table inet fabric {\n\tcomment \"$(touch x) `y` 'z'\"\n}")),
            new(RouterActionKind.ReplaceTable, "other", "a file elsewhere", [], new RouterFile("/etc/fabric/x y.conf", "a\n")),
        ];

        var script = RouterScript.For(actions, "@fabric-test");

        Assert.Contains(
            """
            printf '%s begin %s\n' "$m" 0
            cat > /run/fabric/router/.fabric.nft.new <<'@fabric-test-eof' && mv -f /run/fabric/router/.fabric.nft.new /run/fabric/router/fabric.nft || fail $? 0 w
            table inet fabric {
            	comment "$(touch x) `y` 'z'"
            }
            @fabric-test-eof
            nft -f /run/fabric/router/fabric.nft || fail $? 0 0

            """,
            script.Text,
            StringComparison.Ordinal);
        Assert.Contains(
            "mkdir -p /etc/fabric && cat > '/etc/fabric/.x y.conf.new' <<'@fabric-test-eof' && mv -f '/etc/fabric/.x y.conf.new' '/etc/fabric/x y.conf' || fail $? 1 w\na\n@fabric-test-eof\n",
            script.Text,
            StringComparison.Ordinal);
        Assert.Equal(new ScriptLine(ScriptLineKind.Failed, 0, ScriptLine.WritingFile, 2), script.Classify("@fabric-test failed 0 w 2"));
    }

    [Fact]
    public void For_FileHoldingTheDelimiterAsALine_Refused()
    {
        RouterAction[] actions =
        [
            new(RouterActionKind.ReplaceTable, "t", "t", [], new RouterFile("/run/fabric/router/fabric.nft", "a\n@fabric-test-eof\nb\n")),
        ];

        var e = Assert.Throws<ArgumentException>(() => RouterScript.For(actions, "@fabric-test"));

        Assert.Contains("@fabric-test-eof", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyAsync_RealShellWritesTheFileWhole_ThenItsCommandReadsIt()
    {
        const string content = "line one\n\tcomment \"$(touch pwned) `touch pwned2` $HOME 'q'\"\nlast line\n";
        RouterAction[] actions =
        [
            new(RouterActionKind.ReplaceTable, "t", "write and read", [RemoteCommand.Of("cat", "/run/fabric/router/fabric.nft")], new RouterFile("/run/fabric/router/fabric.nft", content)),
        ];
        var log = new List<string>();

        await RouterSync.ApplyAsync(new NamespaceHost(null, _folder), actions, log.Add, CancellationToken.None);

        Assert.Equal(content, await File.ReadAllTextAsync(Path.Combine(_folder, "run/fabric/router/fabric.nft")));
        Assert.Equal(["write and read", .. content.TrimEnd('\n').Split('\n').Select(l => $"  {l}")], log);
        Assert.Empty(Directory.GetFiles(_folder, "pwned*", SearchOption.AllDirectories));
        Assert.Equal(["apply.sh", "fabric.nft"], Directory.GetFiles(Path.Combine(_folder, "run/fabric/router")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task ApplyAsync_RealShellCannotWriteTheFile_FailsNamingTheFileAndRunsNothingAfter()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "run/fabric/router/.fabric.nft.new")); // cat cannot write over a folder
        RouterAction[] actions =
        [
            new(RouterActionKind.ReplaceTable, "t", "write the ruleset", [RemoteCommand.Of("touch", "ran")], new RouterFile("/run/fabric/router/fabric.nft", "x\n")),
        ];
        var log = new List<string>();

        var e = await Assert.ThrowsAsync<RemoteHostException>(() => RouterSync.ApplyAsync(new NamespaceHost(null, _folder), actions, log.Add, CancellationToken.None));

        Assert.Equal(RemoteFailure.TransferFailed, e.Failure);
        Assert.Contains("cannot write /run/fabric/router/fabric.nft", e.Message, StringComparison.Ordinal);
        Assert.Equal("  failed: write the ruleset", log[^1]);
        Assert.False(File.Exists(Path.Combine(_folder, "ran")));
    }

    [Fact]
    public async Task ApplyAsync_RealShellCannotWriteTheScript_FailsWithTheSendersErrorAndRunsNothing()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "run/fabric"));
        await File.WriteAllTextAsync(Path.Combine(_folder, "run/fabric/router"), "a file where the folder should be");
        RouterAction[] actions = [new(RouterActionKind.SetSysctl, "a", "first", [RemoteCommand.Of("touch", "ran")])];
        var log = new List<string>();

        var e = await Assert.ThrowsAsync<RemoteCommandFailedException>(
            () => RouterSync.ApplyAsync(new NamespaceHost(null, _folder), actions, log.Add, CancellationToken.None));

        Assert.Equal(RouterScript.SendCommand, e.Result.Command);
        Assert.NotEqual(0, e.Result.ExitCode);
        Assert.StartsWith("mkdir: ", e.Result.StandardError, StringComparison.Ordinal); // coreutils names itself and the folder
        Assert.Empty(log);
        Assert.False(File.Exists(Path.Combine(_folder, "ran")));
    }

    [Fact]
    public async Task ApplyAsync_ValuesWithSpacesQuotesAndShellSyntax_ReachTheProgramAsOneArgumentEachAndRunNothing()
    {
        string[] values =
        [
            "two words", "it's", "\"double\"", "$(touch pwned1)", "`touch pwned2`", "; touch pwned3", "a'; touch pwned4; echo '", "$HOME", "*", "back\\slash",
        ];
        var actions = values.Select((v, i) => new RouterAction(RouterActionKind.SetSysctl, $"v{i}", $"value {i}", [RemoteCommand.Of("printf", "[%s]\n", v)])).ToList();
        var log = new List<string>();

        await RouterSync.ApplyAsync(new NamespaceHost(null, _folder), actions, log.Add, CancellationToken.None);

        Assert.Equal(values.SelectMany((v, i) => new[] { $"value {i}", $"  [{v}]" }), log);
        Assert.Empty(Directory.GetFiles(_folder, "pwned*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task ApplyAsync_RealShellCommandFailsInTheMiddle_ThrowsForItNamesTheActionAndRunsNothingAfter()
    {
        RouterAction[] actions =
        [
            new(RouterActionKind.SetSysctl, "a", "first", [RemoteCommand.Of("touch", "first-ran")]),
            new(RouterActionKind.AddAddress, "b", "second fails", [RemoteCommand.Of("echo", "before"), RemoteCommand.Script("echo 'RTNETLINK answers: File exists' >&2; exit 2")]),
            new(RouterActionKind.SetSysctl, "c", "third", [RemoteCommand.Of("touch", "third-ran")]),
        ];
        var log = new List<string>();

        var e = await Assert.ThrowsAsync<RemoteCommandFailedException>(
            () => RouterSync.ApplyAsync(new NamespaceHost(null, _folder), actions, log.Add, CancellationToken.None));

        Assert.Equal(2, e.Result.ExitCode);
        Assert.Equal(actions[1].Commands[1], e.Result.Command);
        Assert.EndsWith("exited 2: RTNETLINK answers: File exists", e.Message, StringComparison.Ordinal);
        Assert.Equal(["first", "second fails", "  before", "  RTNETLINK answers: File exists", "  failed: second fails"], log);
        Assert.True(File.Exists(Path.Combine(_folder, "first-ran")));
        Assert.False(File.Exists(Path.Combine(_folder, "third-ran")));
    }

    [Fact]
    public async Task ApplyAsync_FakeRouterAddressOnAMissingLinkInTheMiddle_StopsThereNamingTheActionAndKeepsWhatRan()
    {
        var router = new FakeRouterHost(new SshTarget("10.0.0.5", 22, "root", Fixtures.Pin)).WithLink("eth1");
        RouterAction[] actions =
        [
            new(RouterActionKind.SetSysctl, "net.ipv4.ip_forward", "set sysctl net.ipv4.ip_forward=1 (now 0)", [RemoteCommand.Of("sysctl", "-w", "net.ipv4.ip_forward=1")]),
            new(RouterActionKind.AddAddress, "eth1.100", "add addr 203.0.113.1/24 dev eth1.100 (gateway of pub1)", [RemoteCommand.Of("ip", "addr", "add", "203.0.113.1/24", "dev", "eth1.100")]),
            new(RouterActionKind.SetSysctl, "net.ipv4.conf.eth1.forwarding", "set sysctl net.ipv4.conf.eth1.forwarding=1 (now 0)", [RemoteCommand.Of("sysctl", "-w", "net.ipv4.conf.eth1.forwarding=1")]),
        ];
        var log = new List<string>();

        var e = await Assert.ThrowsAsync<RemoteCommandFailedException>(() => RouterSync.ApplyAsync(router, actions, log.Add, CancellationToken.None));

        Assert.Contains("'ip addr add 203.0.113.1/24 dev eth1.100' exited 1", e.Message, StringComparison.Ordinal);
        Assert.Equal("  failed: add addr 203.0.113.1/24 dev eth1.100 (gateway of pub1)", log[^1]);
        Assert.Equal([actions[0].Description, actions[1].Description], log.Where(l => !l.StartsWith(' ')));
        Assert.Equal(["sysctl -w net.ipv4.ip_forward=1"], router.Changes);
        Assert.Equal("0", router.Sysctls["net.ipv4.conf.eth1.forwarding"]);
        Assert.Equal(1, router.ScriptRuns);
    }
}
