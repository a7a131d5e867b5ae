using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Fabric.Core.Events;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Registry.Images;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;
using Fabric.Storage.Exports;
using Fabric.Storage.Images;
using Fabric.Storage.Nfs;
using Fabric.Storage.Pairs;
using Fabric.Storage.Volumes;
using Microsoft.Extensions.Options;

namespace Fabric.Storage.Tests.Jobs;

/// <summary>A registry with a storage pair (s1 shelf 1, s2 shelf 2, pair p1) whose nodes are <see cref="ScriptedStorageNode"/>s:
/// fake hosts that keep the files and exports the scripts would make, so a test can see what is left on each node.</summary>
internal sealed class StorageJobHarness : IDisposable
{
    public const string PinA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";
    public const string PinB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOO54Njga2JiUBe4A4mIhMzsyZwjzXt2O5wM0zt00raX";

    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-storage-harness-").FullName;

    public StorageJobHarness()
    {
        Registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));
        Images = ImageStores.Open(Path.Combine(_dir, "fabric.db"));
        Options = Microsoft.Extensions.Options.Options.Create(new StorageOptions { ImageFolder = Path.Combine(_dir, "images") });
        A = new ScriptedStorageNode(Hosts.Host(new SshTarget("10.9.0.1", 22, "root", PinA)), 1);
        B = new ScriptedStorageNode(Hosts.Host(new SshTarget("10.9.0.2", 22, "root", PinB)), 2);
        Pairs = new PairHosts(Registry, Hosts);
        Maker = new PairVolumeMaker(Registry, Pairs, Images);
        NfsMaker = new PairNfsRootMaker(Registry, Pairs);
    }

    public IRegistry Registry { get; }

    public IImageStore Images { get; }

    public IOptions<StorageOptions> Options { get; }

    public FakeRemoteHosts Hosts { get; } = new();

    public ScriptedStorageNode A { get; }

    public ScriptedStorageNode B { get; }

    public PairHosts Pairs { get; }

    public PairVolumeMaker Maker { get; }

    public PairNfsRootMaker NfsMaker { get; }

    public string ImageFolder => Options.Value.ImageFolder;

    public async Task AddPairAsync()
    {
        foreach (var (name, ip, shelf, pin) in new[] { ("s1", "10.9.0.1", 1, PinA), ("s2", "10.9.0.2", 2, PinB) })
        {
            var added = await Registry.AddNodeAsync(
                new NodeInput
                {
                    Name = name,
                    Role = "storage",
                    Macs = [$"52:54:00:00:0c:0{shelf}"],
                    MacField = "mac",
                    Pair = "p1",
                    AoeShelf = shelf,
                    SshAddress = ip,
                    SshHostKey = pin,
                    StoragePath = $"/srv/{name}/volumes",
                    ImagePath = $"/srv/{name}/images",
                },
                Actor.Admin);
            Assert.True(added.Succeeded, added.Error?.ToString());
        }
    }

    /// <summary>Records image <paramref name="name"/> of p1 (ext4, or <paramref name="format"/>) as pushed, and puts it on
    /// both nodes.</summary>
    public async Task AddImageAsync(string name, long size, ImageFormat format = ImageFormat.Ext4)
    {
        await Images.RecordAsync(new StoredImage(name, "p1", size, new string('a', 64), DateTimeOffset.UnixEpoch, format));
        A.Files.TryAdd($"/srv/s1/images/{name}.img", 0);
        B.Files.TryAdd($"/srv/s2/images/{name}.img", 0);
    }

    /// <summary>Records tar image <paramref name="name"/> of p1 as pushed, and puts it on both nodes (<c>NAME.tar</c>).</summary>
    public async Task AddTarImageAsync(string name, long size)
    {
        await Images.RecordAsync(new StoredImage(name, "p1", size, new string('b', 64), DateTimeOffset.UnixEpoch, ImageFormat.Tar));
        A.Files.TryAdd($"/srv/s1/images/{name}.tar", size);
        B.Files.TryAdd($"/srv/s2/images/{name}.tar", size);
    }

    public void Dispose()
    {
        Images.Dispose();
        Registry.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>A storage node as its scripts would leave it: files made and removed, exports started and stopped.
/// <see cref="FailCreate"/> makes the next volume files fail like a full disk.</summary>
internal sealed class ScriptedStorageNode
{
    public ScriptedStorageNode(FakeRemoteHost host, int shelf)
    {
        Host = host;
        host.On(c => Is(c, VolumeScripts.Create), c =>
        {
            var file = c.Arguments[4];
            if (Files.ContainsKey(file))
            {
                return FakeReply.Fail(3, $"volume file {file} exists");
            }

            if (c.Arguments[6] is { Length: > 0 } image && !Files.ContainsKey(image))
            {
                return FakeReply.Fail(2, $"no image {image}");
            }

            if (FailCreate)
            {
                return FakeReply.Fail(1, $"cp: error writing '{file}.fabric-new': No space left on device");
            }

            Files[file] = long.Parse(c.Arguments[5], CultureInfo.InvariantCulture);
            OnCreated?.Invoke();
            return FakeReply.Ok();
        });
        host.On(c => Is(c, VolumeScripts.Remove), c =>
        {
            Files.TryRemove(c.Arguments[4], out _);
            return FakeReply.Ok();
        });
        host.On(c => Is(c, ExportScripts.Start), c =>
        {
            Exports[$"e{c.Arguments[4]}.{c.Arguments[5]}"] = (c.Arguments[6], c.Arguments[7]);
            return FakeReply.Ok();
        });
        host.On(c => Is(c, ExportScripts.Stop), c =>
        {
            Exports.TryRemove($"e{c.Arguments[4]}.{c.Arguments[5]}", out _);
            return FakeReply.Ok();
        });
        host.On(c => Is(c, ExportScripts.List), _ => FakeReply.Ok(string.Concat(Exports.Select(e =>
            $"{e.Key}\t100\talive\tvblade\t{e.Key[1..e.Key.IndexOf('.', StringComparison.Ordinal)]}\t{e.Key[(e.Key.IndexOf('.', StringComparison.Ordinal) + 1)..]}\t{e.Value.Interface}\t{e.Value.File}\n"))));
        host.On(c => Is(c, ImageScripts.Check), c =>
        {
            var file = c.Arguments[4];
            return Sidecars.TryGetValue(file, out var known) ? FakeReply.Ok($"{known.Size}\t{known.Sha256}\n") : FakeReply.Ok();
        });
        host.On(c => Is(c, ImageScripts.Digest), c =>
            FakeReply.Ok(host.Files.TryGetValue(c.Arguments[4], out var content) ? Convert.ToHexStringLower(SHA256.HashData(content)) + "\n" : ""));
        host.On(c => Is(c, NfsRootScripts.Extract), c =>
        {
            var folder = c.Arguments[4];
            if (Folders.ContainsKey(folder))
            {
                return FakeReply.Fail(3, $"NFS root {folder} exists");
            }

            if (!Files.TryGetValue(c.Arguments[5], out var size))
            {
                return FakeReply.Fail(2, $"no image {c.Arguments[5]}");
            }

            if (FailCreate)
            {
                return FakeReply.Fail(2, $"tar: ./bin/busybox: Cannot write: No space left on device");
            }

            Folders[folder] = size;
            OnCreated?.Invoke();
            return FakeReply.Ok();
        });
        host.On(c => Is(c, NfsRootScripts.Remove), c =>
        {
            Folders.TryRemove(c.Arguments[4], out _);
            return FakeReply.Ok();
        });
        host.On(c => Is(c, GaneshaScripts.Status), _ =>
            FakeReply.Ok((GaneshaPid is { } pid ? $"alive {pid}\n" : "dead\n") + (host.Files.TryGetValue(GaneshaConfigFile, out var config) ? System.Text.Encoding.UTF8.GetString(config) : "")));
        host.On(c => Is(c, GaneshaScripts.Start), _ =>
        {
            GaneshaPid ??= 4242;
            ReadConfig(host);
            return FakeReply.Ok();
        });
        host.On(c => Is(c, GaneshaScripts.Reload), _ =>
        {
            ReadConfig(host);
            return FakeReply.Ok();
        });
        host.On(c => Is(c, GaneshaScripts.Stop), _ =>
        {
            GaneshaPid = null;
            NfsServed.Clear();
            return FakeReply.Ok();
        });
        Shelf = shelf;
    }

    private const string GaneshaConfigFile = "/run/fabric/ganesha.conf";

    /// <summary>The pid of the node's ganesha, null when it does not run.</summary>
    public int? GaneshaPid { get; private set; }

    /// <summary>The paths ganesha serves: those of the configuration it last read (started or reloaded).</summary>
    public ConcurrentDictionary<string, bool> NfsServed { get; } = new(StringComparer.Ordinal);

    /// <summary>NFS root folders made from tar images, with the size of their image.</summary>
    public ConcurrentDictionary<string, long> Folders { get; } = new(StringComparer.Ordinal);

    private void ReadConfig(FakeRemoteHost host)
    {
        NfsServed.Clear();
        var config = host.Files.TryGetValue(GaneshaConfigFile, out var bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : "";
        foreach (var line in config.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("Path = \"", StringComparison.Ordinal)))
        {
            NfsServed[line["Path = \"".Length..line.LastIndexOf('"')]] = true;
        }
    }

    public FakeRemoteHost Host { get; }

    public int Shelf { get; }

    /// <summary>Volume and image files with their sizes.</summary>
    public ConcurrentDictionary<string, long> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>Running exports by target, with interface and file.</summary>
    public ConcurrentDictionary<string, (string Interface, string File)> Exports { get; } = new(StringComparer.Ordinal);

    /// <summary>Images the node already has whole (a sidecar), by file.</summary>
    public ConcurrentDictionary<string, (long Size, string Sha256)> Sidecars { get; } = new(StringComparer.Ordinal);

    public bool FailCreate { get; set; }

    /// <summary>Called after a volume file is made (e.g. to cancel the job at that moment).</summary>
    public Action? OnCreated { get; set; }

    public int CommandsOf(string script) => Host.Commands.Count(c => Is(c, script));

    public static bool Is(RemoteCommand command, string script) =>
        command.Arguments.Count > 2 && command.Arguments[0] == "sh" && command.Arguments[2] == script;
}

/// <summary>A job context that records steps, progress and log lines, with a cancellation the test controls.</summary>
internal sealed class RecordingJobContext(string kind, string? node, Dictionary<string, string> arguments, int attempt = 1) : IJobContext
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<JobProgress> _progress = new();

    public CancellationTokenSource Cancel { get; } = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public IReadOnlyList<JobProgress> ProgressReports => [.. _progress];

    public List<string> Steps { get; } = [];

    public Job Job { get; } = new()
    {
        Id = 9,
        Kind = kind,
        Node = node,
        Arguments = arguments,
        State = JobState.Running,
        Actor = "admin",
        Attempt = attempt,
        CreatedAt = DateTimeOffset.UnixEpoch,
        QueuedAt = DateTimeOffset.UnixEpoch,
    };

    public CancellationToken CancellationToken => Cancel.Token;

    public ValueTask StepAsync(string name)
    {
        lock (Steps)
        {
            Steps.Add(name);
        }

        return ValueTask.CompletedTask;
    }

    public void Progress(long done, long? total, string unit) => _progress.Enqueue(new JobProgress(done, total, unit));

    public void Log(string line) => _lines.Enqueue(line);
}
