<?php
/**
 * "A Dargah payment needs review": to the shop's admin address, once per
 * payment, through WooCommerce's mailer. It is one of WooCommerce's e-mails
 * (WooCommerce → Settings → Emails): owners turn it off, change the
 * recipient, subject and format there, and may override its templates in
 * their theme (woocommerce/emails/dargah-needs-review.php).
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

final class Dargah_WC_Email_Needs_Review extends WC_Email {

	/** The payment's id, its gateway's name and the reason, for the templates. */
	public string $payment_id = '';
	public string $gateway    = '';
	public string $reason     = '';

	public function __construct() {
		$this->id             = 'dargah_needs_review';
		$this->title          = __( 'Dargah payment needs review', 'dargah-woocommerce' );
		$this->description    = __( 'Sent to the shop when a Dargah payment needs a person to look at it: the gateway\'s answer did not match, the payment did not pay what its order costs now, or it paid an order already paid. Once per payment.', 'dargah-woocommerce' );
		$this->template_html  = 'emails/dargah-needs-review.php';
		$this->template_plain = 'emails/plain/dargah-needs-review.php';
		$this->template_base  = DARGAH_WC_DIR . '/templates/';
		$this->placeholders   = array(
			'{order_number}' => '',
			'{payment_id}'   => '',
		);
		parent::__construct();
		$this->recipient = $this->get_option( 'recipient', get_option( 'admin_email' ) );
	}

	public function get_default_subject() {
		return __( '[{site_title}]: a payment for order #{order_number} needs review', 'dargah-woocommerce' );
	}

	public function get_default_heading() {
		return __( 'A payment needs review', 'dargah-woocommerce' );
	}

	/**
	 * @param string $payment_id Dargah's payment id.
	 * @param int    $order_id   Its order.
	 * @param string $reason     Why it needs review.
	 */
	public function trigger( $payment_id, $order_id, $reason ) {
		$this->setup_locale();
		$order = wc_get_order( $order_id );
		if ( $order instanceof WC_Order ) {
			$this->object                           = $order;
			$this->payment_id                       = (string) $payment_id;
			$this->gateway                          = Dargah_WC_Orders::gateway_name( self::gateway_of( (string) $payment_id, $order ) );
			$this->reason                           = '' !== (string) $reason ? (string) $reason : '—';
			$this->placeholders['{order_number}'] = $order->get_order_number();
			$this->placeholders['{payment_id}']   = $this->payment_id;
			if ( $this->is_enabled() && $this->get_recipient() ) {
				$this->send( $this->get_recipient(), $this->get_subject(), $this->get_content(), $this->get_headers(), $this->get_attachments() );
			}
		}
		$this->restore_locale();
	}

	/** The payment's gateway; the order's payment method when the store cannot say. */
	private static function gateway_of( string $payment_id, WC_Order $order ): string {
		try {
			return Dargah_WC_Config::client()->payment( $payment_id )->gateway;
		} catch ( Dargah\Exception $e ) {
			return substr( $order->get_payment_method(), strlen( 'dargah_' ) );
		}
	}

	/** The arguments both templates get. */
	private function template_args( bool $plain ): array {
		return array(
			'order'              => $this->object,
			'payment_id'         => $this->payment_id,
			'gateway'            => $this->gateway,
			'reason'             => $this->reason,
			'review_url'         => Dargah_WC_Review::page_url( array( 'dargah_state' => 'review' ) ),
			'email_heading'      => $this->get_heading(),
			'additional_content' => $this->get_additional_content(),
			'sent_to_admin'      => true,
			'plain_text'         => $plain,
			'email'              => $this,
		);
	}

	public function get_content_html() {
		return wc_get_template_html( $this->template_html, $this->template_args( false ), '', $this->template_base );
	}

	public function get_content_plain() {
		return wc_get_template_html( $this->template_plain, $this->template_args( true ), '', $this->template_base );
	}

	public function init_form_fields() {
		/* translators: %s: list of placeholders */
		$placeholder_text  = sprintf( __( 'Available placeholders: %s', 'dargah-woocommerce' ), '<code>' . esc_html( implode( '</code>, <code>', array_keys( $this->placeholders ) ) ) . '</code>' );
		$this->form_fields = array(
			'enabled'            => array(
				'title'   => __( 'Enable/Disable', 'dargah-woocommerce' ),
				'type'    => 'checkbox',
				'label'   => __( 'Enable this email notification', 'dargah-woocommerce' ),
				'default' => 'yes',
			),
			'recipient'          => array(
				'title'       => __( 'Recipient(s)', 'dargah-woocommerce' ),
				'type'        => 'text',
				/* translators: %s: the site's admin e-mail address */
				'description' => sprintf( __( 'Enter recipients (comma separated) for this email. Defaults to %s.', 'dargah-woocommerce' ), '<code>' . esc_attr( get_option( 'admin_email' ) ) . '</code>' ),
				'placeholder' => '',
				'default'     => '',
				'desc_tip'    => true,
			),
			'subject'            => array(
				'title'       => __( 'Subject', 'dargah-woocommerce' ),
				'type'        => 'text',
				'desc_tip'    => true,
				'description' => $placeholder_text,
				'placeholder' => $this->get_default_subject(),
				'default'     => '',
			),
			'heading'            => array(
				'title'       => __( 'Email heading', 'dargah-woocommerce' ),
				'type'        => 'text',
				'desc_tip'    => true,
				'description' => $placeholder_text,
				'placeholder' => $this->get_default_heading(),
				'default'     => '',
			),
			'additional_content' => array(
				'title'       => __( 'Additional content', 'dargah-woocommerce' ),
				'description' => __( 'Text to appear below the main email content.', 'dargah-woocommerce' ) . ' ' . $placeholder_text,
				'css'         => 'width:400px; height: 75px;',
				'placeholder' => '',
				'type'        => 'textarea',
				'default'     => '',
				'desc_tip'    => true,
			),
			'email_type'         => array(
				'title'       => __( 'Email type', 'dargah-woocommerce' ),
				'type'        => 'select',
				'description' => __( 'Choose which format of email to send.', 'dargah-woocommerce' ),
				'default'     => 'html',
				'class'       => 'email_type wc-enhanced-select',
				'options'     => $this->get_email_type_options(),
				'desc_tip'    => true,
			),
		);
	}
}
