using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;

namespace Fabric.Appliance.Tests.Instances;

/// <summary>Hypervisors behind <see cref="FakeRemoteHosts"/> for the appliance's instance tests: the real SSH driver
/// runs its commands there; a launch makes the instance "run" until a kill, the QMP channel is a scripted qemu that
/// answers what the jobs send (a migration completes at once), and the console is a fixed text.</summary>
internal sealed class FakeHypervisors
{
    public const string Console = "Debian GNU/Linux 13 web ttyS0\nweb login: ";

    private readonly ConcurrentDictionary<(string Host, string Instance), bool> _running = new();

    public FakeRemoteHosts Hosts { get; } = new();

    public ConcurrentQueue<string> QmpCommands { get; } = new();

    /// <summary>How many <c>query-migrate</c>s answer <c>active</c> (with bytes and an expected downtime) before one
    /// answers <c>completed</c>; 0: a migration completes at once.</summary>
    public int ActiveMigratePolls { get; set; }

    private int _migratePolls;

    public bool Running(string host, string instance) => _running.GetValueOrDefault((host, instance));

    /// <summary>Scripts the fake behind <paramref name="target"/> (the hypervisor's SSH fields).</summary>
    public void Script(SshTarget target)
    {
        var host = Hosts.Host(target);
        string key = target.Host;
        host.On(c => c.Arguments.Contains("qemu-system-x86_64"), c =>
        {
            _running[(key, InstanceOf(c))] = true;
            return FakeReply.Ok();
        });
        host.On(c => c.ShellText.Contains("rm -rf", StringComparison.Ordinal), c =>
        {
            _running[(key, InstanceOf(c))] = false;
            return FakeReply.Ok();
        });
        host.On(c => c.ShellText.Contains("kill -0", StringComparison.Ordinal) && !c.ShellText.Contains("rm -rf", StringComparison.Ordinal), c =>
            _running.GetValueOrDefault((key, InstanceOf(c))) ? FakeReply.Ok() : FakeReply.Fail(1));
        host.On(c => c.ShellText.Contains("tail -c", StringComparison.Ordinal), FakeReply.Ok(Console));
        host.OnChannel(c => c.Arguments[0] == "socat", (peer, token) => QemuAsync(peer, key, token));
    }

    /// <summary>The instance a command is about: the last path component of its folder argument.</summary>
    private static string InstanceOf(RemoteCommand command)
    {
        var folder = command.Arguments.FirstOrDefault(a => a.StartsWith("/run/fabric/instances/", StringComparison.Ordinal) && !a.Contains(' ', StringComparison.Ordinal))
            ?? command.Arguments.First(a => a.Contains("/run/fabric/instances/", StringComparison.Ordinal));
        var rest = folder[(folder.IndexOf("/run/fabric/instances/", StringComparison.Ordinal) + "/run/fabric/instances/".Length)..];
        return rest.Split('/', ',')[0];
    }

    private async Task<int> QemuAsync(FakeChannelPeer peer, string host, CancellationToken token)
    {
        var instance = InstanceOf(peer.Command);
        if (!Running(host, instance))
        {
            return 1;
        }

        await WriteAsync(peer, """{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 9}, "package": ""}, "capabilities": []}}""", token);
        using var reader = new StreamReader(peer.FromCaller, Encoding.UTF8);
        while (await reader.ReadLineAsync(token) is { } line)
        {
            var command = JsonNode.Parse(line)!.AsObject();
            var execute = command["execute"]!.GetValue<string>();
            QmpCommands.Enqueue($"{host} {execute}");
            JsonNode answer = execute switch
            {
                "query-status" => new JsonObject { ["status"] = "running", ["running"] = true },
                "query-migrate" when Interlocked.Increment(ref _migratePolls) <= ActiveMigratePolls =>
                    JsonNode.Parse("""{"status": "active", "expected-downtime": 42, "ram": {"transferred": 104857600, "remaining": 167772160, "total": 268435456}}""")!,
                "query-migrate" => JsonNode.Parse("""{"status": "completed", "total-time": 640, "downtime": 33, "ram": {"transferred": 268435456, "remaining": 0, "total": 268435456}}""")!,
                _ => new JsonObject(),
            };
            await WriteAsync(peer, new JsonObject { ["return"] = answer, ["id"] = command["id"]!.DeepClone() }.ToJsonString(), token);
            if (execute is "quit" or "system_powerdown")
            {
                _running[(host, instance)] = false;
                return 0;
            }
        }

        return 0;
    }

    private static async Task WriteAsync(FakeChannelPeer peer, string line, CancellationToken token)
    {
        await peer.ToCaller.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), token);
        await peer.ToCaller.FlushAsync(token);
    }
}
