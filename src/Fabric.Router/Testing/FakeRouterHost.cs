using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fabric.Remote;
using Fabric.Remote.Channels;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Router.Diff;
using Fabric.Router.State;

namespace Fabric.Router.Testing;

/// <summary>A router that keeps state: it answers the read (<see cref="RouterReader.ReadCommand"/>: <c>ip -d -j link</c>,
/// <c>ip -j addr</c>, the sysctl keys, the nft listing, with their marker lines) from its interfaces, addresses, sysctls
/// and table, and carries out the commands the diff sends (<c>ip link add/set/del</c>, <c>ip addr add/del</c>,
/// <c>sysctl -w</c>, <c>nft -f</c> of a written file), alone or as the apply script sent on a channel
/// (<see cref="RouterScript.SendCommand"/>, run line by line as <c>sh</c> would, its here-documents written as files),
/// the way Linux would, refusing what Linux refuses (an address on a missing device, a sysctl of a missing interface). A
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

    /// <summary>Called as each round trip reaches the router, with what it is: <c>read</c> (the read), <c>command</c> (any
    /// other command), <c>upload</c> (the apply script has arrived), <c>run</c> (the script has printed its start marker and
    /// runs its first action); lets a test move a fake clock or hold the apply.</summary>
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

    /// <summary>Runs a read (<see cref="RouterReader.ReadCommand"/>) or one changing command; each under the router's
    /// lock, so a read sees no command half done.</summary>
    public Task<RemoteCommandResult> RunAsync(RemoteCommand command, RemoteRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        lock (_gate)
        {
            bool read = RouterReader.IsReadCommand(command);
            OnRoundTrip?.Invoke(read ? "read" : "command");
            var result = read ? Read(command) : Run(command);
            foreach (var (stream, text) in new[] { (RemoteStream.StandardOutput, result.StandardOutput), (RemoteStream.StandardError, result.StandardError) })
            {
                foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    options?.Output?.Invoke(new RemoteOutputLine(stream, line));
                }
            }

            return Task.FromResult(result);
        }
    }

    /// <summary>Only <see cref="RouterScript.SendCommand"/>: the channel takes the script on its input, and when the
    /// input ends writes it to <see cref="RouterScript.Path"/> and runs it the way <c>sh</c> would, one step each time the
    /// caller reads output (so the caller sees each line before the next step runs). Each step holds the router's lock.</summary>
    public Task<IRemoteChannel> OpenChannelAsync(RemoteCommand command, RemoteChannelOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!command.Equals(RouterScript.SendCommand))
        {
            throw new InvalidOperationException($"the fake router opens no channel for '{command}'");
        }

        return Task.FromResult<IRemoteChannel>(new ScriptChannel(this, command));
    }

    /// <summary>Runs the apply script the way <c>sh</c> would: its marker lines, its files (here-documents written under a
    /// temporary name and renamed), and each command (unquoted back into its arguments) in order, yielding every line it
    /// prints, stopping at the first command that fails; the last item is the exit status (as <c>exit N</c>).</summary>
    private IEnumerable<string> RunScript(string script)
    {
        OnRoundTrip?.Invoke("upload");
        lock (_gate)
        {
            _files[RouterScript.Path] = script;
            ScriptRuns++;
        }

        string token = "";
        var lines = script.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0 || line.StartsWith('#') || line == "exec 2>&1" || line.StartsWith("fail() ", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.StartsWith("m=", StringComparison.Ordinal))
            {
                token = Words(line[2..])[0];
            }
            else if (line == "printf '%s start\\n' \"$m\"")
            {
                yield return $"{token} start";
                OnRoundTrip?.Invoke("run");
            }
            else if (line.StartsWith("printf '%s begin %s\\n' \"$m\" ", StringComparison.Ordinal))
            {
                yield return $"{token} begin {line[(line.LastIndexOf(' ') + 1)..]}";
            }
            else if (line == "printf '%s end\\n' \"$m\"")
            {
                yield return $"{token} end";
            }
            else if (line.StartsWith("cat > ", StringComparison.Ordinal) && line.IndexOf(" <<'", StringComparison.Ordinal) is var heredoc and > 0)
            {
                // cat > TEMPORARY <<'DELIMITER' && mv -f TEMPORARY PATH || fail $? N w
                var delimiter = line[(heredoc + 4)..line.IndexOf('\'', heredoc + 4)];
                var words = Words(line[(line.IndexOf(" && mv -f ", StringComparison.Ordinal) + 10)..line.IndexOf(" || fail ", StringComparison.Ordinal)]);
                var content = new StringBuilder();
                while (lines[++i] != delimiter)
                {
                    content.Append(lines[i]).Append('\n');
                }

                lock (_gate)
                {
                    _files[words[1]] = content.ToString();
                }
            }
            else if (line.IndexOf(" || fail $? ", StringComparison.Ordinal) is var at and > 0)
            {
                var arguments = Words(line[..at]);
                string? error;
                lock (_gate)
                {
                    error = Change(arguments);
                    if (error is null)
                    {
                        Changes.Add(ShellQuoting.Join(arguments));
                    }
                }

                if (error is not null)
                {
                    yield return error;
                    yield return $"{token} failed {line[(at + " || fail $? ".Length)..]} 1";
                    yield return "exit 1";
                    yield break;
                }
            }
            else
            {
                throw new InvalidOperationException($"the fake router cannot run the script line '{line}'");
            }
        }

        yield return "exit 0";
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

    /// <summary>The reads as the read script prints them: each output, then its marker line on both streams.</summary>
    private RemoteCommandResult Read(RemoteCommand command)
    {
        var token = command.Arguments[4];
        var paths = command.Arguments.Skip(5).ToList();
        var output = new StringBuilder();
        var error = new StringBuilder();
        void Section(string name, string text)
        {
            output.Append(text);
            output.Append(token).Append(' ').Append(name).Append(" 0\n");
            error.Append(token).Append(' ').Append(name).Append(" 0\n");
        }

        Section("links", LinksJson() + "\n");
        Section("addresses", AddressesJson() + "\n");
        Section("sysctls", string.Concat(paths.Select(p => $"{p}={Sysctls.GetValueOrDefault(RouterReader.SysctlPath(p), "")}\n")));
        Section("table", Table is null ? "" : TableJson(Table) + "\n");
        return new RemoteCommandResult(command, Target.ToString(), 0, null, output.ToString(), error.ToString(), TimeSpan.Zero);
    }

    private RemoteCommandResult Run(RemoteCommand command)
    {
        var error = Change(command.Arguments);
        if (error is not null)
        {
            return new RemoteCommandResult(command, Target.ToString(), 1, null, "", error, TimeSpan.Zero);
        }

        Changes.Add(command.ShellText);
        return new RemoteCommandResult(command, Target.ToString(), 0, null, "", "", TimeSpan.Zero);
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

    public Task WriteFileAsync(string remotePath, ReadOnlyMemory<byte> content, UnixFileMode mode = RemoteFiles.DefaultMode, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the router is sent no files: they go inside the apply script");

    /// <summary>The file written at <paramref name="path"/> (the ruleset, the apply script), or null.</summary>
    public string? FileAt(string path)
    {
        lock (_gate)
        {
            return _files.GetValueOrDefault(path);
        }
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

    /// <summary>The channel of <see cref="RouterScript.SendCommand"/>: what the caller writes is the script; once the input
    /// ends, each read of the output runs the script to its next printed line.</summary>
    private sealed class ScriptChannel(FakeRouterHost router, RemoteCommand command) : IRemoteChannel
    {
        private readonly MemoryStream _input = new();
        private readonly TaskCompletionSource _inputDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<RemoteCommandResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private LineStream? _output;

        public RemoteCommand Command => command;

        public string Target => router.Target.ToString();

        public Stream Input => _input;

        public Stream Output => _output ??= new LineStream(this);

        public Task<RemoteCommandResult> Completion => _completion.Task;

        public Task CompleteInputAsync()
        {
            _inputDone.TrySetResult();
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            _completion.TrySetCanceled();
            return ValueTask.CompletedTask;
        }

        private async IAsyncEnumerable<string> LinesAsync()
        {
            await _inputDone.Task.ConfigureAwait(false);
            foreach (var line in router.RunScript(Encoding.UTF8.GetString(_input.ToArray())))
            {
                if (line.StartsWith("exit ", StringComparison.Ordinal))
                {
                    _completion.TrySetResult(new RemoteCommandResult(command, Target, int.Parse(line[5..], CultureInfo.InvariantCulture), null, "", "", TimeSpan.Zero));
                    yield break;
                }

                yield return line;
            }
        }

        /// <summary>Standard output, one line per read.</summary>
        private sealed class LineStream(ScriptChannel channel) : Stream
        {
            private readonly IAsyncEnumerator<string> _lines = channel.LinesAsync().GetAsyncEnumerator();
            private byte[] _pending = [];
            private int _at;

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => throw new NotSupportedException();

            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                if (_at == _pending.Length)
                {
                    if (!await _lines.MoveNextAsync().ConfigureAwait(false))
                    {
                        return 0;
                    }

                    _pending = Encoding.UTF8.GetBytes(_lines.Current + "\n");
                    _at = 0;
                }

                int n = Math.Min(buffer.Length, _pending.Length - _at);
                _pending.AsMemory(_at, n).CopyTo(buffer);
                _at += n;
                return n;
            }

            public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }
}
