using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Fabric.Core;

/// <summary>A pinned SSH host key as the registry keeps it: <c>TYPE BASE64</c> (the comment of a <c>.pub</c> line is
/// dropped). Checked here without any SSH library: a known type, base64, and a key blob that names the same type.</summary>
public static class SshHostKeyText
{
    public static IReadOnlyList<string> Types { get; } =
        ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"];

    /// <summary>The key as <c>TYPE BASE64</c>, or false with the reason.</summary>
    public static bool TryNormalize(string? text, [NotNullWhen(true)] out string? key, out string reason)
    {
        key = null;
        var parts = (text ?? "").Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            reason = "an SSH host key is 'TYPE BASE64', e.g. 'ssh-ed25519 AAAA...'";
            return false;
        }

        if (!Types.Contains(parts[0]))
        {
            reason = $"'{(parts[0].Length > 40 ? parts[0][..40] + "..." : parts[0])}' is not a host key type Fabric pins ({string.Join(", ", Types)})";
            return false;
        }

        Span<byte> blob = new byte[parts[1].Length];
        if (!Convert.TryFromBase64String(parts[1], blob, out int length))
        {
            reason = $"the {parts[0]} key is not valid base64";
            return false;
        }

        blob = blob[..length];
        uint typeLength = blob.Length < 4 ? uint.MaxValue : BinaryPrimitives.ReadUInt32BigEndian(blob);
        if (typeLength >= (uint)blob.Length - 4 || Encoding.ASCII.GetString(blob.Slice(4, (int)typeLength)) != parts[0])
        {
            reason = $"the key data is not a {parts[0]} key";
            return false;
        }

        key = $"{parts[0]} {Convert.ToBase64String(blob)}";
        reason = "";
        return true;
    }
}
