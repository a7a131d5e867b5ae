using System.Security.Cryptography;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Security;

namespace Fabric.Remote.Keys;

/// <summary>Fabric's own SSH key pair: made once in its folder (the folder 0700, the private key 0600) and reused
/// afterwards. Nodes let Fabric in by holding <see cref="PublicKey"/> in their <c>authorized_keys</c>.</summary>
public sealed class SshIdentity
{
    public const string PrivateKeyFileName = "id_ecdsa";
    public const string PublicKeyFileName = "id_ecdsa.pub";
    public const string DefaultComment = "fabric-appliance";

    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private SshIdentity(string folder, string publicKey, byte[] privateKeyPem)
    {
        Folder = folder;
        PublicKey = publicKey;
        PrivateKeyPem = privateKeyPem;
    }

    /// <summary>The folder holding the key files.</summary>
    public string Folder { get; }

    /// <summary>The private key file (OpenSSH format, readable by <c>ssh -i</c> too).</summary>
    public string PrivateKeyPath => Path.Combine(Folder, PrivateKeyFileName);

    /// <summary>The public key as one <c>authorized_keys</c> line, e.g. <c>ecdsa-sha2-nistp256 AAAA... fabric-appliance</c>.</summary>
    public string PublicKey { get; }

    private byte[] PrivateKeyPem { get; }

    /// <summary>Reads the key pair from <paramref name="folder"/>, making it first when there is none. Tightens the
    /// folder to 0700 and the private key to 0600 when they are more open. The public key line is derived from the
    /// private key each time, so a lost or edited <c>.pub</c> file is rewritten.</summary>
    public static SshIdentity LoadOrCreate(string folder, string comment = DefaultComment)
    {
        folder = Path.GetFullPath(folder);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, FolderMode);
            if (File.GetUnixFileMode(folder) != FolderMode)
            {
                File.SetUnixFileMode(folder, FolderMode);
            }
        }

        var privatePath = Path.Combine(folder, PrivateKeyFileName);
        if (!File.Exists(privatePath))
        {
            Create(privatePath, comment);
        }
        else if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(privatePath) & ~PrivateMode) != 0)
        {
            File.SetUnixFileMode(privatePath, PrivateMode);
        }

        var pem = File.ReadAllBytes(privatePath);
        var publicKey = PublicKeyOf(pem, comment, privatePath);
        var publicPath = Path.Combine(folder, PublicKeyFileName);
        if (!File.Exists(publicPath) || File.ReadAllText(publicPath).Trim() != publicKey)
        {
            WriteAtomically(publicPath, Encoding.ASCII.GetBytes(publicKey + "\n"), PrivateMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        return new SshIdentity(folder, publicKey, pem);
    }

    /// <summary>A fresh SSH.NET key source for a connection (SSH.NET disposes what it is given with the connection).</summary>
    internal PrivateKeyFile OpenPrivateKey() => new(new MemoryStream(PrivateKeyPem, writable: false));

    private static void Create(string path, string comment)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = ecdsa.ExportParameters(includePrivateParameters: true);
        try
        {
            var pem = OpenSshKeyFormat.EcdsaP256PrivateKeyPem(parameters, comment, BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4)));
            WriteAtomically(path, Encoding.ASCII.GetBytes(pem), PrivateMode);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    private static string PublicKeyOf(byte[] pem, string comment, string path)
    {
        try
        {
            using var key = new PrivateKeyFile(new MemoryStream(pem, writable: false));
            var algorithm = key.HostKeyAlgorithms.OfType<KeyHostAlgorithm>().First();
            return OpenSshKeyFormat.PublicKeyLine(algorithm.Key.ToString() ?? algorithm.Name, algorithm.Data, comment);
        }
        catch (Exception e) when (e is Renci.SshNet.Common.SshException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not a private key SSH can use ({e.Message}); move it away to make a new one", e);
        }
    }

    /// <summary>Written to a temporary file with its final mode from the start, then renamed over the old one.</summary>
    private static void WriteAtomically(string path, byte[] content, UnixFileMode mode)
    {
        var temporary = $"{path}.tmp-{Environment.ProcessId}";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
