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
        int o = 0;
        foreach (byte b in source)
        {
            if (b == (byte)'\n')
            {
                result[o++] = (byte)'\r';
                result[o++] = (byte)'\n';
            }
            else if (b == (byte)'\r')
            {
                result[o++] = (byte)'\r';
                result[o++] = 0;
            }
            else
            {
                result[o++] = b;
            }
        }

        return result;
    }
}
