<?php
/**
 * The "Dargah payment needs review" e-mail (HTML). A theme may override it
 * as woocommerce/emails/dargah-needs-review.php.
 *
 * @package Dargah_WooCommerce
 * @var WC_Order $order
 * @var string   $payment_id
 * @var string   $gateway
 * @var string   $reason
 * @var string   $review_url
 * @var string   $email_heading
 * @var string   $additional_content
 * @var WC_Email $email
 */

defined( 'ABSPATH' ) || exit;

do_action( 'woocommerce_email_header', $email_heading, $email );
?>
<p>
<?php
printf(
	/* translators: 1: gateway name, 2: Dargah payment id, 3: order number */
	esc_html__( 'The %1$s payment %2$s for order #%3$s needs review:', 'dargah-woocommerce' ),
	esc_html( $gateway ),
	'<bdi>' . esc_html( $payment_id ) . '</bdi>',
	'<bdi>' . esc_html( $order->get_order_number() ) . '</bdi>'
);
?>
</p>
<blockquote><?php echo esc_html( $reason ); ?></blockquote>
<p><?php esc_html_e( 'Look the payment up in the gateway\'s panel before fulfilling or refunding the order, then mark it as reviewed on the Dargah payments page.', 'dargah-woocommerce' ); ?></p>
<p><a href="<?php echo esc_url( $review_url ); ?>"><?php esc_html_e( 'Open the Dargah payments page', 'dargah-woocommerce' ); ?></a> · <a href="<?php echo esc_url( $order->get_edit_order_url() ); ?>"><?php esc_html_e( 'Open the order', 'dargah-woocommerce' ); ?></a></p>
<?php
if ( $additional_content ) {
	echo wp_kses_post( wpautop( wptexturize( $additional_content ) ) );
}
do_action( 'woocommerce_email_footer', $email );
