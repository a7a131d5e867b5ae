using System.Text;

namespace Fabric.Tftp.Tests.Commands;

/// <summary>Builds raw TFTP datagrams for tests.</summary>
internal static class Packets
{
    public static byte[] Request(ushort opcode, string file, string mode, params string[] options)
    {
        var bytes = new List<byte> { (byte)(opcode >> 8), (byte)opcode };
        bytes.AddRange(Encoding.UTF8.GetBytes(file));
        bytes.Add(0);
        bytes.AddRange(Encoding.ASCII.GetBytes(mode));
        bytes.Add(0);
        foreach (var option in options)
        {
            bytes.AddRange(Encoding.ASCII.GetBytes(option));
            bytes.Add(0);
        }

        return [.. bytes];
    }

    public static byte[] Rrq(string file, params string[] options) => Request(1, file, "octet", options);

    public static byte[] Ack(ushort block) => [0, 4, (byte)(block >> 8), (byte)block];

    public static byte[] Error(ushort code, string message)
    {
        var bytes = new List<byte> { 0, 5, (byte)(code >> 8), (byte)code };
        bytes.AddRange(Encoding.ASCII.GetBytes(message));
        bytes.Add(0);
        return [.. bytes];
    }
}
