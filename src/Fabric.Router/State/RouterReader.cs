using System.Globalization;
using System.Security.Cryptography;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Router.Planning;

namespace Fabric.Router.State;

/// <summary>Reads the router's state over SSH in one round trip: one command (<see cref="ReadCommand"/>) runs the four
/// reads one after the other, <c>ip -d -j link show</c>, <c>ip -j addr show</c>, the plan's sysctl keys (read from
/// <c>/proc/sys</c> by the shell itself, <c>KEY=VALUE</c> lines, empty for a key that does not exist) and <c>nft -j list
/// table inet fabric</c> (nothing when the table does not exist). After each read it prints a marker line
/// <c>TOKEN NAME STATUS</c> on standard output and on standard error, with a random token, so the outputs are parsed
/// apart (<see cref="RouterStateParser"/>) and a read that failed is named with its own status and error. Only reads.</summary>
public static class RouterReader
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(1);

    /// <summary>The reads, in the order the script runs them: the name its marker carries and the command it runs
    /// (named in an error).</summary>
    private static readonly (string Name, RemoteCommand Command)[] Reads =
    [
        ("links", RemoteCommand.Of("ip", "-d", "-j", "link", "show")),
        ("addresses", RemoteCommand.Of("ip", "-j", "addr", "show")),
        ("sysctls", RemoteCommand.Of("read", "/proc/sys/...")), // the shell's read of each key; it cannot fail
        ("table", RemoteCommand.Of("nft", "-j", "list", "table", "inet", "fabric")),
    ];

    /// <summary><c>$1</c> is the marker token, then the sysctl keys as paths under <c>/proc/sys</c>. The shell's own
    /// <c>read</c> takes each value (no process per key); a key that does not exist reads as empty. The table's listing
    /// prints nothing with status 0 when the table does not exist (any other failure keeps its status and error).</summary>
    private const string ReadScript =
        "m=$1; shift\n" +
        "end() { printf '%s %s %s\\n' \"$m\" \"$1\" \"$2\"; printf '%s %s %s\\n' \"$m\" \"$1\" \"$2\" >&2; }\n" +
        "ip -d -j link show; end links $?\n" +
        "ip -j addr show; end addresses $?\n" +
        "for p do v=; read -r v 2>/dev/null <\"/proc/sys/$p\"; printf '%s=%s\\n' \"$p\" \"$v\"; done; end sysctls 0\n" +
        "out=$(nft -j list table inet fabric 2>&1); s=$?\n" +
        "if [ $s = 0 ]; then printf '%s\\n' \"$out\"; else case $out in *'No such file or directory'*) s=0 ;; *) printf '%s\\n' \"$out\" >&2 ;; esac; fi\n" +
        "end table $s\n";

    /// <summary>The one command that reads the router: the four reads for <paramref name="keys"/> (sysctl keys such as
    /// <c>net.ipv4.conf.eth1/100.forwarding</c>), with marker lines starting with <paramref name="token"/>.</summary>
    public static RemoteCommand ReadCommand(IEnumerable<string> keys, string token)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentException.ThrowIfNullOrEmpty(token);
        return RemoteCommand.Script(ReadScript, [token, .. keys.Select(SysctlPath)]);
    }

    /// <summary>Whether <paramref name="command"/> is a <see cref="ReadCommand"/> (for test doubles of the router).</summary>
    public static bool IsReadCommand(RemoteCommand command) =>
        command is { Arguments: ["sh", "-c", ReadScript, "sh", _, ..] };

    /// <summary>The path under <c>/proc/sys</c> of a sysctl key: dots and slashes swap (<c>net.ipv4.conf.eth1/100.forwarding</c>
    /// is <c>net/ipv4/conf/eth1.100/forwarding</c>), as sysctl(8) does.</summary>
    public static string SysctlPath(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return string.Create(key.Length, key, (span, k) =>
        {
            for (int i = 0; i < k.Length; i++)
            {
                span[i] = k[i] switch
                {
                    '.' => '/',
                    '/' => '.',
                    var c => c,
                };
            }
        });
    }

    public static async Task<ActualRouter> ReadAsync(IRemoteHost host, DesiredRouter desired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(desired);
        var token = "@fabric-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var keys = desired.Sysctls.Select(s => s.Key).ToList();
        var stdout = new List<string>();
        var stderr = new List<string>();
        var result = await host.RunAsync(ReadCommand(keys, token), new RemoteRunOptions(CommandTimeout, line =>
        {
            lock (stdout)
            {
                (line.Stream == RemoteStream.StandardOutput ? stdout : stderr).Add(line.Text);
            }
        }), cancellationToken);
        lock (stdout)
        {
            return Parse(result, token, keys, stdout, stderr);
        }
    }

    /// <summary>The four outputs parsed apart. A read whose status is not 0 is a <see cref="RemoteCommandFailedException"/>
    /// for that read's command with its own status and error output; a read whose marker never came (the script was cut
    /// off) is one with the whole command's status and error output.</summary>
    internal static ActualRouter Parse(RemoteCommandResult result, string token, IReadOnlyList<string> keys, IReadOnlyList<string> stdout, IReadOnlyList<string> stderr)
    {
        var outputs = Sections(stdout, token);
        var errors = Sections(stderr, token);
        foreach (var (name, command) in Reads)
        {
            if (!outputs.TryGetValue(name, out var output))
            {
                var all = string.Join('\n', stderr.Where(l => !l.StartsWith(token + " ", StringComparison.Ordinal)));
                throw new RemoteCommandFailedException(result with
                {
                    Command = command,
                    StandardError = all.Length > 0 ? all : $"the read stopped before {name} was read",
                });
            }

            if (output.Status != 0)
            {
                throw new RemoteCommandFailedException(new RemoteCommandResult(
                    command, result.Target, output.Status, null, output.Text, errors.TryGetValue(name, out var error) ? error.Text : "", result.Elapsed));
            }
        }

        var read = RouterStateParser.ParseSysctls(outputs["sysctls"].Text);
        var sysctls = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            sysctls[key] = read.TryGetValue(SysctlPath(key), out var value) ? value : "";
        }

        var table = outputs["table"].Text;
        return new ActualRouter(
            RouterStateParser.ParseLinks(outputs["links"].Text.Trim()),
            RouterStateParser.ParseAddresses(outputs["addresses"].Text.Trim()),
            sysctls,
            string.IsNullOrWhiteSpace(table) ? null : RouterStateParser.ParseNftJson(table));
    }

    /// <summary>The lines before each marker <c>TOKEN NAME STATUS</c>, by name.</summary>
    private static Dictionary<string, (string Text, int Status)> Sections(IReadOnlyList<string> lines, string token)
    {
        var sections = new Dictionary<string, (string Text, int Status)>(StringComparer.Ordinal);
        var text = new System.Text.StringBuilder();
        foreach (var line in lines)
        {
            if (line.StartsWith(token + " ", StringComparison.Ordinal)
                && line[(token.Length + 1)..].Split(' ') is [var name, var status]
                && Reads.Any(r => r.Name == name)
                && int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out int code))
            {
                sections[name] = (text.ToString(), code);
                text.Clear();
            }
            else
            {
                text.Append(line).Append('\n');
            }
        }

        return sections;
    }
}
