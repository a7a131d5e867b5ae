namespace Fabric.Tftp.Transfer;

/// <summary>Netascii encoding (RFC 1350 / RFC 764): LF becomes CR LF, a bare CR becomes CR NUL.</summary>
public static class NetAscii
{
    public static int EncodedLength(ReadOnlySpan<byte> source)
    {
        int extra = 0;
        foreach (byte b in source)
        {
            if (b is (byte)'\n' or (byte)'\r')
            {
                extra++;
            }
        }

        return source.Length + extra;
    }

    public static byte[] Encode(ReadOnlySpan<byte> source)
    {
        var result = new byte[EncodedLength(source)];
        EncodeTo(source, result);
        return result;
    }

    /// <summary>Encodes <paramref name="source"/> into <paramref name="destination"/> (at least
    /// <see cref="EncodedLength"/> bytes long); returns the bytes written.</summary>
    public static int EncodeTo(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int o = 0;
        foreach (byte b in source)
        {
            if (b == (byte)'\n')
            {
                destination[o++] = (byte)'\r';
                destination[o++] = (byte)'\n';
            }
            else if (b == (byte)'\r')
            {
                destination[o++] = (byte)'\r';
                destination[o++] = 0;
            }
            else
            {
                destination[o++] = b;
            }
        }

        return o;
    }
}
