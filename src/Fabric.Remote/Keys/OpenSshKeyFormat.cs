using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Fabric.Remote.Keys;

/// <summary>OpenSSH's key encodings, as pure functions: the public key blob of an ECDSA key (RFC 5656 3.1), the
/// <c>authorized_keys</c> line, and the <c>openssh-key-v1</c> private key file (OpenSSH's PROTOCOL.key), unencrypted.</summary>
internal static class OpenSshKeyFormat
{
    public const string EcdsaP256 = "ecdsa-sha2-nistp256";
    private const string P256Curve = "nistp256";
    private const string Magic = "openssh-key-v1\0";
    private const string PemBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
    private const string PemEnd = "-----END OPENSSH PRIVATE KEY-----";

    /// <summary>The public key blob: string "ecdsa-sha2-nistp256", string "nistp256", string Q (uncompressed point).</summary>
    public static byte[] EcdsaP256PublicBlob(ECParameters key)
    {
        using var writer = new SshWriter();
        WriteEcdsaPublic(writer, key);
        return writer.ToArray();
    }

    /// <summary>One <c>authorized_keys</c> line: <c>ALGORITHM BASE64 COMMENT</c>.</summary>
    public static string PublicKeyLine(string algorithm, ReadOnlySpan<byte> blob, string comment) =>
        string.IsNullOrEmpty(comment) ? $"{algorithm} {Convert.ToBase64String(blob)}" : $"{algorithm} {Convert.ToBase64String(blob)} {comment}";

    /// <summary>The private key file, PEM-armoured as OpenSSH writes it (70 base64 characters per line).</summary>
    /// <param name="key">A P-256 key with its private scalar.</param>
    /// <param name="comment">The key's comment.</param>
    /// <param name="check">The random check word OpenSSH repeats twice to detect a wrong passphrase.</param>
    public static string EcdsaP256PrivateKeyPem(ECParameters key, string comment, uint check)
    {
        if (key.D is null || key.Q.X is null || key.Q.Y is null)
        {
            throw new ArgumentException("the key has no private part", nameof(key));
        }

        using var secret = new SshWriter();
        secret.UInt32(check);
        secret.UInt32(check);
        secret.String(EcdsaP256);
        secret.String(P256Curve);
        secret.String(Point(key));
        secret.MPInt(key.D);
        secret.String(comment);
        for (byte pad = 1; secret.Length % 8 != 0; pad++)
        {
            secret.Byte(pad);
        }

        using var file = new SshWriter();
        file.Raw(Encoding.ASCII.GetBytes(Magic));
        file.String("none");
        file.String("none");
        file.String(ReadOnlySpan<byte>.Empty);
        file.UInt32(1);
        file.String(EcdsaP256PublicBlob(key));
        file.String(secret.ToArray());

        var base64 = Convert.ToBase64String(file.ToArray());
        var pem = new StringBuilder(PemBegin).Append('\n');
        for (int i = 0; i < base64.Length; i += 70)
        {
            pem.Append(base64, i, Math.Min(70, base64.Length - i)).Append('\n');
        }

        return pem.Append(PemEnd).Append('\n').ToString();
    }

    /// <summary>A P-256 key as dropbear's host key file holds it (dropbear's <c>buf_put_ecdsa_priv_key</c>): the public
    /// key blob's three strings (<c>ecdsa-sha2-nistp256</c>, <c>nistp256</c>, the point) followed by the private scalar
    /// as an mpint; <c>dropbear -r FILE</c> serves it and <c>dropbearkey -y -f FILE</c> prints its public line.</summary>
    public static byte[] EcdsaP256DropbearPrivateKey(ECParameters key)
    {
        if (key.D is null)
        {
            throw new ArgumentException("the key has no private part", nameof(key));
        }

        using var writer = new SshWriter();
        WriteEcdsaPublic(writer, key);
        writer.MPInt(key.D);
        return writer.ToArray();
    }

    /// <summary>The public key blob at the start of a dropbear P-256 host key file (its first three strings), or null
    /// when the bytes are not one.</summary>
    public static byte[]? DropbearEcdsaP256PublicBlob(ReadOnlySpan<byte> file)
    {
        int at = 0;
        for (int i = 0; i < 3; i++)
        {
            if (file.Length - at < 4)
            {
                return null;
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(file[at..]);
            if (length > (uint)(file.Length - at - 4))
            {
                return null;
            }

            if (i == 0 && !file.Slice(at + 4, (int)length).SequenceEqual(Encoding.ASCII.GetBytes(EcdsaP256)))
            {
                return null;
            }

            at += 4 + (int)length;
        }

        return file[..at].ToArray();
    }

    private static void WriteEcdsaPublic(SshWriter writer, ECParameters key)
    {
        writer.String(EcdsaP256);
        writer.String(P256Curve);
        writer.String(Point(key));
    }

    private static byte[] Point(ECParameters key)
    {
        var x = key.Q.X ?? throw new ArgumentException("the key has no public point", nameof(key));
        var y = key.Q.Y ?? throw new ArgumentException("the key has no public point", nameof(key));
        return [0x04, .. x, .. y];
    }

    /// <summary>The SSH wire encodings of RFC 4251 section 5.</summary>
    private sealed class SshWriter : IDisposable
    {
        private readonly MemoryStream _buffer = new();

        public long Length => _buffer.Length;

        public void Dispose() => _buffer.Dispose();

        public void Byte(byte value) => _buffer.WriteByte(value);

        public void Raw(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

        public void UInt32(uint value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
            _buffer.Write(bytes);
        }

        public void String(ReadOnlySpan<byte> bytes)
        {
            UInt32((uint)bytes.Length);
            _buffer.Write(bytes);
        }

        public void String(string text) => String(Encoding.UTF8.GetBytes(text));

        /// <summary>A non-negative big-endian integer: no leading zero bytes, one zero byte when the top bit is set.</summary>
        public void MPInt(ReadOnlySpan<byte> unsignedBigEndian)
        {
            var value = unsignedBigEndian.TrimStart((byte)0);
            if (value.Length > 0 && (value[0] & 0x80) != 0)
            {
                UInt32((uint)value.Length + 1);
                _buffer.WriteByte(0);
                _buffer.Write(value);
            }
            else
            {
                String(value);
            }
        }

        public byte[] ToArray() => _buffer.ToArray();
    }
}
