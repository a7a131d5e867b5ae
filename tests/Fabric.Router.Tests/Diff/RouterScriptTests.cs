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
        Assert.Equal(new ScriptLine(ScriptLineKind.Failed, 1, 0, 255), script.Classify("@fabric-test failed 1 0 255"));
        Assert.Equal(ScriptLineKind.Output, script.Classify("@fabric-other begin 0").Kind);
        Assert.Equal(ScriptLineKind.Output, script.Classify("@fabric-test begin 2").Kind); // no such action
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
        Assert.Equal(["mkdir -p /run/fabric/router", "sysctl -w net.ipv4.ip_forward=1"], router.Changes);
        Assert.Equal("0", router.Sysctls["net.ipv4.conf.eth1.forwarding"]);
        Assert.Equal(1, router.ScriptRuns);
    }
}
