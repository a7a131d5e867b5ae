using System.Security.Cryptography;

namespace Fabric.Integration.Tftp;

/// <summary>A boot root with seeded pseudo-random files of the sizes the TFTP tests need, and their sha256.</summary>
public sealed class TftpFiles : IDisposable
{
    public static readonly (string Name, int Length)[] Sizes =
    [
        ("zero.bin", 0),
        ("b512.bin", 512),
        ("b1468x3.bin", 1468 * 3),
        ("b1468x16.bin", 1468 * 16),
        ("m1.bin", 1 << 20),
        ("m33.bin", 33 << 20),
        ("m100.bin", 100 << 20),
        ("k256.bin", 256 << 10),
        ("k64.bin", 64 << 10),
    ];

    private readonly Dictionary<string, string> _hashes = [];

    public TftpFiles()
    {
        Root = Directory.CreateTempSubdirectory("fabric-tftp-it-").FullName;
        var random = new Random(4242);
        foreach (var (name, length) in Sizes)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(Root, name), bytes);
            _hashes[name] = Convert.ToHexString(SHA256.HashData(bytes));
        }
    }

    public string Root { get; }

    public string Hash(string name) => _hashes[name];

    public static string HashOf(string path) =>
        File.Exists(path) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))) : Convert.ToHexString(SHA256.HashData([]));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
