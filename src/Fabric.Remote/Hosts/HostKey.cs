using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Fabric.Remote.Hosts;

/// <summary>A pinned SSH host key in <c>known_hosts</c>/<c>.pub</c> form (<c>ssh-ed25519 AAAA... [comment]</c>).
/// The one thing a server must present before Fabric runs anything on it.</summary>
public sealed class HostKey : IEquatable<HostKey>
{
    /// <summary>Host key types Fabric pins, with the signature algorithms that prove each (RFC 8332 for RSA).</summary>
    private static readonly Dictionary<string, string[]> SignatureAlgorithmsByType = new(StringComparer.Ordinal)
    {
        ["ssh-ed25519"] = ["ssh-ed25519"],
        ["ecdsa-sha2-nistp256"] = ["ecdsa-sha2-nistp256"],
        ["ecdsa-sha2-nistp384"] = ["ecdsa-sha2-nistp384"],
        ["ecdsa-sha2-nistp521"] = ["ecdsa-sha2-nistp521"],
        ["ssh-rsa"] = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
    };

    private readonly byte[] _blob;

    private HostKey(string type, byte[] blob)
    {
        Type = type;
        _blob = blob;
    }

    /// <summary>The key type, e.g. <c>ssh-ed25519</c>.</summary>
    public string Type { get; }

    /// <summary>The public key in SSH wire form (what the server sends during key exchange).</summary>
    public ReadOnlyMemory<byte> Blob => _blob;

    /// <summary>The fingerprint as <c>ssh-keygen -l</c> prints it: <c>SHA256:</c> and unpadded base64.</summary>
    public string Fingerprint => FingerprintOf(_blob);

    /// <summary>The signature algorithms a server may use to prove this key, to offer in key exchange.</summary>
    internal IReadOnlyList<string> SignatureAlgorithms => SignatureAlgorithmsByType[Type];

    public static string FingerprintOf(ReadOnlySpan<byte> blob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');

    /// <summary>Parses <c>TYPE BASE64 [comment]</c>; the blob must be well formed and name the same type.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out HostKey? key, out string error)
    {
        key = null;
        var parts = (text ?? "").Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            error = $"'{Shorten(text)}' is not an SSH public key like 'ssh-ed25519 AAAA...'";
            return false;
        }

        if (!SignatureAlgorithmsByType.ContainsKey(parts[0]))
        {
            error = $"'{Shorten(parts[0])}' is not a host key type Fabric pins ({string.Join(", ", SignatureAlgorithmsByType.Keys)})";
            return false;
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(parts[1]);
        }
        catch (FormatException)
        {
            error = $"the {parts[0]} key is not valid base64";
            return false;
        }

        if (!TryReadString(blob, 0, out var inner, out int next) || inner != parts[0] || next >= blob.Length)
        {
            error = $"the key data is not a {parts[0]} key";
            return false;
        }

        key = new HostKey(parts[0], blob);
        error = "";
        return true;
    }

    public static HostKey Parse(string text) =>
        TryParse(text, out var key, out var error) ? key : throw new FormatException(error);

    /// <summary>Whether a server presented exactly this key (compared in constant time).</summary>
    public bool Matches(ReadOnlySpan<byte> presentedBlob) => CryptographicOperations.FixedTimeEquals(_blob, presentedBlob);

    public bool Equals(HostKey? other) => other is not null && other.Type == Type && other._blob.AsSpan().SequenceEqual(_blob);

    public override bool Equals(object? obj) => Equals(obj as HostKey);

    public override int GetHashCode() => HashCode.Combine(Type, _blob.Length, _blob.Length > 0 ? _blob[^1] : 0);

    /// <summary>The key without its comment: <c>TYPE BASE64</c>.</summary>
    public override string ToString() => $"{Type} {Convert.ToBase64String(_blob)}";

    /// <summary>The type string a blob starts with, or null when it is not an SSH key blob.</summary>
    internal static string? TypeOf(ReadOnlySpan<byte> blob) => TryReadString(blob, 0, out var type, out _) ? type : null;

    private static bool TryReadString(ReadOnlySpan<byte> data, int offset, [NotNullWhen(true)] out string? value, out int next)
    {
        value = null;
        next = offset;
        if (data.Length - offset < 4)
        {
            return false;
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
        if (length > 64 || length > data.Length - offset - 4)
        {
            return false;
        }

        value = Encoding.ASCII.GetString(data.Slice(offset + 4, (int)length));
        next = offset + 4 + (int)length;
        return true;
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40] + "...";
}
