using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Router.Diff;
using Fabric.Router.State;

namespace Fabric.Router.Testing;

/// <summary>A router that keeps state: it answers the reads (<c>ip -d -j link</c>, <c>ip -j addr</c>, the sysctl
/// script, the nft listing) from its interfaces, addresses, sysctls and table, and carries out the commands the diff
/// sends (<c>ip link add/set/del</c>, <c>ip addr add/del</c>, <c>sysctl -w</c>, <c>nft -f</c> of a written file), alone
/// or as the apply script (<see cref="RouterScript"/>, run line by line as <c>sh</c> would), the way Linux would, refusing what Linux refuses (an address on a missing device, a sysctl of a missing interface). A
/// command it does not know throws. For tests of code that plans and applies routers (like
/// <see cref="Remote.Testing.FakeRemoteHost"/>).</summary>
public sealed class FakeRouterHost(SshTarget target) : IRemoteHost
{
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public SshTarget Target { get; } = target;

    public SortedDictionary<string, LinkState> Links { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<string>> Addresses { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Sysctls { get; } = new(StringComparer.Ordinal) { ["net.ipv4.ip_forward"] = "0" };

    public NftShape? Table { get; set; }

    /// <summary>How many apply scripts ran (each one SSH round trip).</summary>
    public int ScriptRuns { get; private set; }

    /// <summary>The changing commands run, in order.</summary>
    public List<string> Changes { get; } = [];

    /// <summary>Called as each round trip reaches the router, with what it is: <c>read</c> (one of the reads),
    /// <c>command</c> (any other command), <c>write PATH</c>, <c>run</c> (the apply script, before its first line runs); lets a
    /// test move a fake clock.</summary>
    public Action<string>? OnRoundTrip { get; set; }

    /// <summary>Adds an interface (with its per-interface sysctls at 0), as the kernel would have it.</summary>
    public FakeRouterHost WithLink(string name, string? parent = null, string? kind = null, int? vlan = null, bool up = true, string? alias = null)
    {
        Links[name] = new LinkState(name, parent, kind, vlan, up, alias);
        Addresses.TryAdd(name, []);
        foreach (var key in new[] { "forwarding", "proxy_arp" })
        {
            Sysctls.TryAdd($"net.ipv4.conf.{name.Replace('.', '/')}.{key}", "0");
        }

        return this;
    }

    /// <summary>Commands run one at a time (a drift check may read while a job applies).</summary>
    public Task<RemoteCommandResult> RunAsync(RemoteCommand command, RemoteRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            bool script = command.Equals(RouterScript.RunCommand);
            bool read = command.Equals(RouterReader.LinksCommand) || command.Equals(RouterReader.AddressesCommand) || command.Equals(RouterReader.TableCommand)
                || (command.Arguments[0] == "sh" && command.Equals(RouterReader.SysctlCommand(command.Arguments.Skip(4))));
            OnRoundTrip?.Invoke(script ? "run" : read ? "read" : "command");
            return script ? RunScript(command, options) : Run(command);
        }
    }

    /// <summary>Runs the apply script written to <see cref="RouterScript.Path"/> the way <c>sh</c> would: its marker
    /// lines and each command (unquoted back into its arguments) in order, every line of output through
    /// <paramref name="options"/>, stopping at the first command that fails.</summary>
    private Task<RemoteCommandResult> RunScript(RemoteCommand command, RemoteRunOptions? options)
    {
        if (!_files.TryGetValue(RouterScript.Path, out var script))
        {
            return Task.FromResult(new RemoteCommandResult(command, Target.ToString(), 127, null, "", $"sh: can't open '{RouterScript.Path}'", TimeSpan.Zero));
        }

        ScriptRuns++;
        var output = new StringBuilder();
        void Print(string line)
        {
            output.Append(line).Append('\n');
            options?.Output?.Invoke(new RemoteOutputLine(RemoteStream.StandardOutput, line));
        }

        string token = "";
        foreach (var line in script.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("m=", StringComparison.Ordinal))
            {
                token = Words(line[2..])[0];
            }
            else if (line.StartsWith("printf '%s begin %s\\n' \"$m\" ", StringComparison.Ordinal))
            {
                Print($"{token} begin {line[(line.LastIndexOf(' ') + 1)..]}");
            }
            else if (line == "printf '%s end\\n' \"$m\"")
            {
                Print($"{token} end");
            }
            else if (line.IndexOf(" || fail $? ", StringComparison.Ordinal) is var at and > 0)
            {
                var arguments = Words(line[..at]);
                var error = Change(arguments);
                if (error is not null)
                {
                    Print(error);
                    Print($"{token} failed {line[(at + " || fail $? ".Length)..]} 1");
                    return Task.FromResult(new RemoteCommandResult(command, Target.ToString(), 1, null, output.ToString(), "", TimeSpan.Zero));
                }

                Changes.Add(ShellQuoting.Join(arguments));
            }
            else if (!(line.StartsWith('#') || line == "exec 2>&1" || line.StartsWith("fail() ", StringComparison.Ordinal)))
            {
                throw new InvalidOperationException($"the fake router cannot run the script line '{line}'");
            }
        }

        return Task.FromResult(new RemoteCommandResult(command, Target.ToString(), 0, null, output.ToString(), "", TimeSpan.Zero));
    }

    /// <summary>Splits a line made by <see cref="ShellQuoting.Join"/> back into its arguments: plain words and
    /// single-quoted strings, <c>'\''</c> being a quote.</summary>
    private static List<string> Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == ' ')
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else if (c == '\'')
            {
                int end = line.IndexOf('\'', i + 1);
                word.Append(line, i + 1, end - i - 1);
                i = end;
                inWord = true;
            }
            else if (c == '\\')
            {
                word.Append(line[++i]);
                inWord = true;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    private Task<RemoteCommandResult> Run(RemoteCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var a = command.Arguments;
        string output = "";
        if (command.Equals(RouterReader.LinksCommand))
        {
            output = LinksJson();
        }
        else if (command.Equals(RouterReader.AddressesCommand))
        {
            output = AddressesJson();
        }
        else if (command.Equals(RouterReader.TableCommand))
        {
            output = Table is null ? "" : TableJson(Table);
        }
        else if (a[0] == "sh" && command.Equals(RouterReader.SysctlCommand(a.Skip(4))))
        {
            output = string.Concat(a.Skip(4).Select(k => $"{k}={Sysctls.GetValueOrDefault(k, "")}\n"));
        }
        else
        {
            var error = Change(a);
            if (error is not null)
            {
                return Task.FromResult(new RemoteCommandResult(command, Target.ToString(), 1, null, "", error, TimeSpan.Zero));
            }

            Changes.Add(command.ShellText);
        }

        return Task.FromResult(new RemoteCommandResult(command, Target.ToString(), 0, null, output, "", TimeSpan.Zero));
    }

    private string? Change(IReadOnlyList<string> a)
    {
        switch (a)
        {
            case ["ip", "link", "add", "link", var parent, "name", var name, "type", "vlan", "id", var id]:
                if (!Links.ContainsKey(parent) || Links.ContainsKey(name))
                {
                    return "RTNETLINK answers: File exists or no such parent";
                }

                WithLink(name, parent, "vlan", int.Parse(id, CultureInfo.InvariantCulture), up: false);
                return null;
            case ["ip", "link", "set", "dev", var name, "alias", var alias]:
                return Links.TryGetValue(name, out var l1) ? Set(name, l1 with { Alias = alias }) : "Cannot find device";
            case ["ip", "link", "set", "dev", var name, "up"]:
                return Links.TryGetValue(name, out var l2) ? Set(name, l2 with { Up = true }) : "Cannot find device";
            case ["ip", "link", "del", "dev", var name]:
                if (!Links.Remove(name))
                {
                    return "Cannot find device";
                }

                Addresses.Remove(name);
                foreach (var stale in Sysctls.Keys.Where(k => k.StartsWith($"net.ipv4.conf.{name.Replace('.', '/')}.", StringComparison.Ordinal)).ToList())
                {
                    Sysctls.Remove(stale);
                }

                return null;
            case ["ip", "addr", "add", var address, "dev", var name]:
                if (!Addresses.TryGetValue(name, out var list) || list.Contains(address))
                {
                    return "RTNETLINK answers: File exists or Cannot find device";
                }

                list.Add(address);
                return null;
            case ["ip", "addr", "del", var address, "dev", var name]:
                return Addresses.TryGetValue(name, out var from) && from.Remove(address) ? null : "RTNETLINK answers: Cannot assign requested address";
            case ["sysctl", "-w", var setting]:
                var (key, value) = (setting[..setting.IndexOf('=', StringComparison.Ordinal)], setting[(setting.IndexOf('=', StringComparison.Ordinal) + 1)..]);
                if (!Sysctls.ContainsKey(key))
                {
                    return $"sysctl: cannot stat /proc/sys/{key.Replace('.', '/')}: No such file or directory";
                }

                Sysctls[key] = value;
                return null;
            case ["mkdir", "-p", ..]:
                return null;
            case ["nft", "-f", var path]:
                if (!_files.TryGetValue(path, out var content))
                {
                    return $"Error: Could not open file \"{path}\"";
                }

                Table = RouterStateParser.ParseRuleset(content);
                return null;
            default:
                throw new InvalidOperationException($"the fake router does not know '{string.Join(' ', a)}'");
        }
    }

    private string? Set(string name, LinkState link)
    {
        Links[name] = link;
        return null;
    }

    public Task UploadAsync(Stream content, string remotePath, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the router is sent no uploads");

    public Task WriteFileAsync(string remotePath, ReadOnlyMemory<byte> content, UnixFileMode mode = RemoteFiles.DefaultMode, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            OnRoundTrip?.Invoke($"write {remotePath}");
            _files[remotePath] = Encoding.UTF8.GetString(content.Span);
        }

        return Task.CompletedTask;
    }

    private string LinksJson()
    {
        var array = new JsonArray();
        foreach (var link in Links.Values)
        {
            var o = new JsonObject { ["ifname"] = link.Name, ["flags"] = new JsonArray(link.Up ? ["BROADCAST", "UP"] : new JsonNode[] { "BROADCAST" }) };
            if (link.Parent is not null)
            {
                o["link"] = link.Parent;
            }

            if (link.Alias is not null)
            {
                o["ifalias"] = link.Alias;
            }

            if (link.Kind is not null)
            {
                o["linkinfo"] = link.VlanId is { } id
                    ? new JsonObject { ["info_kind"] = link.Kind, ["info_data"] = new JsonObject { ["protocol"] = "802.1Q", ["id"] = id } }
                    : new JsonObject { ["info_kind"] = link.Kind };
            }

            array.Add(o);
        }

        return array.ToJsonString();
    }

    private string AddressesJson()
    {
        var array = new JsonArray();
        foreach (var (name, list) in Addresses)
        {
            var info = new JsonArray();
            foreach (var address in list)
            {
                var parts = address.Split('/');
                info.Add(new JsonObject { ["family"] = "inet", ["local"] = parts[0], ["prefixlen"] = int.Parse(parts[1], CultureInfo.InvariantCulture) });
            }

            array.Add(new JsonObject { ["ifname"] = name, ["addr_info"] = info });
        }

        return array.ToJsonString();
    }

    /// <summary>The table as nft 1.0.6 lists it (metainfo, table, sets, chains, then one object per rule).</summary>
    private static string TableJson(NftShape table)
    {
        var items = new JsonArray
        {
            new JsonObject { ["metainfo"] = new JsonObject { ["version"] = "1.0.6", ["json_schema_version"] = 1 } },
            new JsonObject { ["table"] = new JsonObject { ["family"] = "inet", ["name"] = "fabric", ["handle"] = 1 } },
        };
        foreach (var (name, elements) in table.Sets)
        {
            var set = new JsonObject { ["family"] = "inet", ["name"] = name, ["table"] = "fabric", ["type"] = "ipv4_addr" };
            if (elements.Count > 0)
            {
                set["elem"] = new JsonArray([.. elements.Select(e => (JsonNode)e!)]);
            }

            items.Add(new JsonObject { ["set"] = set });
        }

        var rules = new List<JsonNode>();
        foreach (var (name, described) in table.Chains)
        {
            var shape = described;
            var chain = new JsonObject { ["family"] = "inet", ["table"] = "fabric", ["name"] = name };
            var comments = new List<string>();
            if (shape.IndexOf(" [", StringComparison.Ordinal) is var open and >= 0)
            {
                comments = [.. shape[(open + 2)..^1].Split('|')];
                shape = shape[..open];
            }

            var count = shape;
            if (shape.Contains(':', StringComparison.Ordinal))
            {
                var hook = shape[..shape.IndexOf(':', StringComparison.Ordinal)].Split('/');
                chain["type"] = "filter";
                chain["hook"] = hook[0];
                chain["prio"] = 0;
                chain["policy"] = hook[1];
                count = shape[(shape.IndexOf(':', StringComparison.Ordinal) + 1)..];
            }

            items.Add(new JsonObject { ["chain"] = chain });
            for (int i = 0; i < int.Parse(count, CultureInfo.InvariantCulture); i++)
            {
                var rule = new JsonObject { ["family"] = "inet", ["table"] = "fabric", ["chain"] = name, ["expr"] = new JsonArray() };
                if (i < comments.Count)
                {
                    rule["comment"] = comments[i];
                }

                rules.Add(new JsonObject { ["rule"] = rule });
            }
        }

        foreach (var rule in rules)
        {
            items.Add(rule);
        }

        return new JsonObject { ["nftables"] = items }.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }
}
