namespace GridTime.Rendering.Gif;

/// <summary>
/// A small GIF89a writer: one global palette (at most 256 colours), LZW-compressed frames, a delay per
/// frame, and the NETSCAPE2.0 extension so viewers loop the animation forever. Frames are given as
/// palette indices (one byte per pixel, row-major).
/// </summary>
public sealed class GifEncoder
{
    private readonly Stream _output;
    private readonly int _width;
    private readonly int _height;
    private readonly int _paletteBits;

    /// <summary>Writes the header, palette and loop extension to <paramref name="output"/>.</summary>
    /// <param name="output">Where the GIF goes.</param>
    /// <param name="width">Frame width in pixels.</param>
    /// <param name="height">Frame height in pixels.</param>
    /// <param name="palette">The colours, 2 to 256 of them.</param>
    public GifEncoder(Stream output, int width, int height, IReadOnlyList<(byte R, byte G, byte B)> palette)
    {
        if (width is < 1 or > 65535 || height is < 1 or > 65535)
        {
            throw new ArgumentException($"GIF frames must be 1..65535 pixels on each side, got {width}x{height}");
        }

        if (palette.Count is < 2 or > 256)
        {
            throw new ArgumentException($"a GIF palette has 2..256 colours, got {palette.Count}");
        }

        _output = output;
        _width = width;
        _height = height;
        _paletteBits = 1;
        while ((1 << _paletteBits) < palette.Count)
        {
            _paletteBits++;
        }

        Write("GIF89a"u8);
        WriteU16(width);
        WriteU16(height);
        _output.WriteByte((byte)(0x80 | ((_paletteBits - 1) << 4) | (_paletteBits - 1))); // global table, its size
        _output.WriteByte(0); // background colour index
        _output.WriteByte(0); // square pixels
        for (int i = 0; i < 1 << _paletteBits; i++)
        {
            (byte r, byte g, byte b) = i < palette.Count ? palette[i] : ((byte)0, (byte)0, (byte)0);
            _output.WriteByte(r);
            _output.WriteByte(g);
            _output.WriteByte(b);
        }

        // NETSCAPE2.0 application extension: loop forever (count 0).
        Write([0x21, 0xFF, 0x0B]);
        Write("NETSCAPE2.0"u8);
        Write([0x03, 0x01, 0x00, 0x00, 0x00]);
    }

    /// <summary>Adds a frame of palette indices shown for <paramref name="delayCentiseconds"/> hundredths of a second.</summary>
    public void AddFrame(ReadOnlySpan<byte> indices, int delayCentiseconds)
    {
        if (indices.Length != _width * _height)
        {
            throw new ArgumentException($"expected {_width * _height} pixels, got {indices.Length}");
        }

        // Graphic control extension: no transparency, disposal "do not dispose", the delay.
        Write([0x21, 0xF9, 0x04, 0x04]);
        WriteU16(Math.Clamp(delayCentiseconds, 0, 65535));
        Write([0x00, 0x00]);

        // Image descriptor: the whole canvas, no local palette, not interlaced.
        _output.WriteByte(0x2C);
        WriteU16(0);
        WriteU16(0);
        WriteU16(_width);
        WriteU16(_height);
        _output.WriteByte(0);

        int minimumCodeSize = Math.Max(2, _paletteBits);
        _output.WriteByte((byte)minimumCodeSize);
        WriteSubBlocks(LzwCompress(indices, minimumCodeSize));
        _output.WriteByte(0); // end of image data
    }

    /// <summary>Writes the trailer; the GIF is complete.</summary>
    public void Finish() => _output.WriteByte(0x3B);

    /// <summary>
    /// GIF's variable-width LZW: codes start at minimumCodeSize + 1 bits and grow to 12; a clear code
    /// starts the stream and restarts the table when it is full; an end code closes it. Bits are packed
    /// least significant first.
    /// </summary>
    public static byte[] LzwCompress(ReadOnlySpan<byte> indices, int minimumCodeSize)
    {
        int clear = 1 << minimumCodeSize, end = clear + 1;
        var bits = new BitWriter();
        var table = new Dictionary<int, int>(4096);
        int codeSize = minimumCodeSize + 1, next = end + 1;
        bits.Write(clear, codeSize);
        if (indices.IsEmpty)
        {
            bits.Write(end, codeSize);
            return bits.ToArray();
        }

        int prefix = indices[0];
        for (int i = 1; i < indices.Length; i++)
        {
            int pixel = indices[i];
            int key = (prefix << 8) | pixel;
            if (table.TryGetValue(key, out int code))
            {
                prefix = code;
                continue;
            }

            bits.Write(prefix, codeSize);
            if (next >= 1 << codeSize && codeSize < 12)
            {
                codeSize++;
            }

            if (next < 4096)
            {
                table[key] = next++;
            }
            else
            {
                bits.Write(clear, codeSize);
                table.Clear();
                codeSize = minimumCodeSize + 1;
                next = end + 1;
            }

            prefix = pixel;
        }

        bits.Write(prefix, codeSize);
        if (next >= 1 << codeSize && codeSize < 12)
        {
            codeSize++;
        }

        bits.Write(end, codeSize);
        return bits.ToArray();
    }

    private void WriteSubBlocks(byte[] data)
    {
        for (int offset = 0; offset < data.Length; offset += 255)
        {
            int length = Math.Min(255, data.Length - offset);
            _output.WriteByte((byte)length);
            _output.Write(data, offset, length);
        }
    }

    private void Write(ReadOnlySpan<byte> bytes) => _output.Write(bytes);

    private void WriteU16(int value)
    {
        _output.WriteByte((byte)value);
        _output.WriteByte((byte)(value >> 8));
    }

    private sealed class BitWriter
    {
        private readonly List<byte> _bytes = [];
        private int _buffer;
        private int _count;

        public void Write(int code, int width)
        {
            _buffer |= code << _count;
            _count += width;
            while (_count >= 8)
            {
                _bytes.Add((byte)_buffer);
                _buffer >>= 8;
                _count -= 8;
            }
        }

        public byte[] ToArray()
        {
            if (_count > 0)
            {
                _bytes.Add((byte)_buffer);
                _buffer = 0;
                _count = 0;
            }

            return [.. _bytes];
        }
    }
}
