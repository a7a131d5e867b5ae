using System.Security.Cryptography;

namespace Fabric.Remote.Keys;

/// <summary>A node's SSH host key pair that Fabric keeps for it: the private key in dropbear's file format (what the node
/// serves with <c>dropbear -r</c>) and the public key line the registry pins.</summary>
/// <param name="DropbearPrivateKey">The host key file's bytes (secret).</param>
/// <param name="PublicKey">The public key line, <c>ecdsa-sha2-nistp256 AAAA...</c>.</param>
public sealed record NodeHostKey(byte[] DropbearPrivateKey, string PublicKey)
{
    /// <summary>Only the public half: the private key never goes into logs or text.</summary>
    public override string ToString() => PublicKey;
}

/// <summary>The SSH host keys Fabric keeps for nodes whose root is in RAM (a netbooted router makes a new key each boot
/// otherwise, and the registry refuses its next report): one ECDSA P-256 key pair per node, made the first time it is
/// asked for and the same ever after, one file per node in <paramref name="folder"/> (the folder 0700, each file 0600).
/// Warewulf keeps stateless nodes' host keys the same way.</summary>
public sealed class NodeHostKeys(string folder)
{
    public const string FolderName = "node-host-keys";

    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly Lock _gate = new();

    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>Where <paramref name="node"/>'s key is kept (the name lower-cased: node names are case-insensitive).</summary>
    public string PathOf(string node)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        var name = node.ToLowerInvariant();
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new ArgumentException($"'{node}' is not a node name", nameof(node));
        }

        return Path.Combine(Folder, name + ".dropbear");
    }

    /// <summary>The node's key pair, made and stored first when it has none. A stored file that is not a key is an
    /// <see cref="InvalidDataException"/> (never silently replaced: the pinned key would stop matching).</summary>
    public NodeHostKey GetOrCreate(string node)
    {
        var path = PathOf(node);
        lock (_gate)
        {
            if (!File.Exists(path))
            {
                Create(path);
            }

            var bytes = File.ReadAllBytes(path);
            var blob = OpenSshKeyFormat.DropbearEcdsaP256PublicBlob(bytes)
                ?? throw new InvalidDataException($"{path} is not a dropbear ecdsa-sha2-nistp256 host key");
            return new NodeHostKey(bytes, $"{OpenSshKeyFormat.EcdsaP256} {Convert.ToBase64String(blob)}");
        }
    }

    private void Create(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Folder);
        }
        else
        {
            Directory.CreateDirectory(Folder, FolderMode);
            if (File.GetUnixFileMode(Folder) != FolderMode)
            {
                File.SetUnixFileMode(Folder, FolderMode);
            }
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var bytes = OpenSshKeyFormat.EcdsaP256DropbearPrivateKey(key.ExportParameters(includePrivateParameters: true));
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateMode;
        }

        using (var file = new FileStream(temporary, options))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path);
    }
}
